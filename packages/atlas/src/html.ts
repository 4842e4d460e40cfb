/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A tagged template that escapes interpolated strings and numbers; `raw()` values pass through. */
export class Raw {
  constructor(readonly html: string) {}
  toString(): string {
    return this.html;
  }
}

export function raw(html: string): Raw {
  return new Raw(html);
}

type Part = string | number | Raw | null | undefined | false | Part[];

function render(part: Part): string {
  if (part === null || part === undefined || part === false) return '';
  if (Array.isArray(part)) return part.map(render).join('');
  if (part instanceof Raw) return part.html;
  return escapeHtml(String(part));
}

export function html(strings: TemplateStringsArray, ...parts: Part[]): Raw {
  let out = strings[0]!;
  parts.forEach((part, i) => (out += render(part) + strings[i + 1]!));
  return new Raw(out);
}

/** A number for people: 3 significant decimals, '—' for missing or NaN. */
export function fmt(value: number | undefined, digits = 3): string {
  if (value === undefined || !Number.isFinite(value)) return '—';
  return Number(value.toFixed(digits)).toString();
}

export function percent(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '—' : `${(value * 100).toFixed(1)}%`;
}

/** A whole page: `root` is the relative path to the site's top folder ('' or '../'). */
export function page(title: string, root: string, body: Raw, nav: Raw = raw(''), style = ''): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${root}atlas.css">
<script src="${root}atlas.js" defer></script>
${style ? `<style>${style}</style>\n` : ''}</head>
<body>
<header><a class="home" href="${root}index.html">cnnpipe atlas</a>${nav.html}</header>
<main>
${body.html}
</main>
<footer>Made by <code>atlas</code> from cnnpipe tables; static files, no server needed.</footer>
</body>
</html>
`;
}
