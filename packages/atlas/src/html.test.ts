import { describe, expect, it } from 'vitest';
import { escapeHtml, fmt, html, raw } from './html.js';

describe('html', () => {
  it('escapes interpolated text but not raw fragments', () => {
    const name = '<b>"a" & \'b\'</b>';
    expect(escapeHtml(name)).toBe('&lt;b&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/b&gt;');
    expect(html`<p title="${name}">${raw('<i>x</i>')}${[1, ' & ', 2]}</p>`.html).toBe('<p title="&lt;b&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/b&gt;"><i>x</i>1 &amp; 2</p>');
  });

  it('formats numbers for people', () => {
    expect(fmt(0.123456)).toBe('0.123');
    expect(fmt(2)).toBe('2');
    expect(fmt(Number.NaN)).toBe('—');
    expect(fmt(undefined)).toBe('—');
  });
});
