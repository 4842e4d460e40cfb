import type { Layer, Neuron, TopImage } from './data.js';
import { clipBox, patchRegion, receptiveBox, spriteView, type Region } from './geometry.js';
import type { TileRef } from './image-sheets.js';
import { fmt, html, page, percent, type Raw } from './html.js';
import { topImages, type SiteModel } from './site-model.js';
import { conceptOf, mostSimilar } from './summary.js';

/** Display sizes in CSS px. */
const CARD = 96;
const TOP = 112;
const COMPONENT = 72;
const SIMILAR = 64;

export const componentSheet = (slug: string, sheet: number) => `img/components-${slug}-${sheet}.png`;
export const saliencySheet = (slug: string, sheet: number, format: string) => `img/saliency-${slug}-${sheet}.${format}`;

interface ThumbnailOptions {
  region?: Region;
  box?: { left: number; top: number; size: number };
  alt: string;
  /** Width, height and sheet width come from the page's style (many alike thumbnails). */
  styled?: boolean;
}

/** A tile of the image sheets in a square viewport, optionally zoomed to `region`, with the receptive field boxed. */
function thumbnail(site: SiteModel, root: string, tile: TileRef, display: number, options: ThumbnailOptions): Raw {
  const { layout, slot } = tile;
  const v = spriteView(layout, slot, display, options.region);
  let box: Raw | string = '';
  if (options.box) {
    const s = display / site.data.preprocess.size;
    const c = clipBox(options.box, site.data.preprocess.size);
    // Sides past the image are dashed at its edge; the centre dot marks the peak cell.
    const past = (['left', 'top', 'right', 'bottom'] as const).filter((side) => c.past[side]).map((side) => ` past-${side}`).join('');
    box = html`<i class="rf${past}" style="left:${fmt(c.left * s, 1)}px;top:${fmt(c.top * s, 1)}px;width:${fmt(c.width * s, 1)}px;height:${fmt(c.height * s, 1)}px"></i><i class="rfc" style="left:${fmt(c.centre.x * s, 1)}px;top:${fmt(c.centre.y * s, 1)}px"></i>`;
  }
  const img = html`<img src="${root}${tile.file}" style="${options.styled ? '' : `width:${fmt(v.width, 1)}px;`}left:${fmt(v.left, 1)}px;top:${fmt(v.top, 1)}px" alt="${options.alt}">`;
  if (options.styled) return html`<span class="sp">${img}${box}</span>`;
  const pixelated = display / (options.region?.size ?? layout.tile) > 1.5 ? ' px' : '';
  return html`<span class="sp${pixelated}" style="width:${display}px;height:${display}px">${img}${box}</span>`;
}

/** Page style for the many same-sized top-image thumbnails of a neuron page. */
function topsStyle(site: SiteModel, layer: Layer, n: Neuron): string {
  if (n.top.length === 0) return '';
  const { layout } = site.images.top(layer.name, n.neuron, 0);
  const pixelated = TOP / layout.tile > 1.5 ? 'image-rendering:pixelated;' : '';
  return `.tops .sp{width:${TOP}px;height:${TOP}px}.tops img{width:${fmt(spriteView(layout, { sheet: 0, x: 0, y: 0 }, TOP).width, 1)}px;${pixelated}}`;
}

/** The card thumbnail: the neuron's strongest image, zoomed to the receptive field of its peak. */
function topPatch(site: SiteModel, root: string, layer: Layer, n: Neuron, display: number): Raw {
  const best = n.top[0];
  const tile = site.images.card(layer.name, n.neuron);
  if (!best || !tile) return html`<span class="sp empty" style="width:${display}px;height:${display}px"></span>`;
  const region = patchRegion(best.argmax, layer.info, site.data.preprocess, site.images.tile);
  return thumbnail(site, root, tile, display, { region, alt: `top patch of ${layer.name} neuron ${n.neuron}` });
}

/** Where a unit's feature visualisation (dream) goes in the site. */
export function visualizationFile(slug: string, neuron: number): string {
  return `vis/${slug}/${neuron}.png`;
}

/** Where a unit's dissection montage goes in the site. */
export function montageFile(slug: string, neuron: number): string {
  return `dissection/${slug}/${neuron}.png`;
}

function conceptText(site: SiteModel, n: Neuron): { name: string; text: string } {
  const c = conceptOf(n, site.data.classes);
  if (!c) return { name: '', text: '—' };
  const category = c.source === 'concepts' && n.concept?.category ? ` (${n.concept.category}, IoU)` : '';
  return { name: c.name, text: c.source === 'cof' ? `${c.name} ${percent(c.score)}` : `${c.name}${category} · ${Number.isFinite(c.score) ? c.score.toFixed(2) : '—'}` };
}

function neuronCard(site: SiteModel, layer: Layer, n: Neuron): Raw {
  const s = n.stats;
  const concept = conceptText(site, n);
  const vis = n.visualization
    ? html`<img class="vis-card" src="../${visualizationFile(site.slugs.get(layer.name)!, n.neuron)}" width="${CARD}" height="${CARD}" alt="feature visualisation of ${layer.name} neuron ${n.neuron}">`
    : layer.neurons.some((m) => m.visualization)
      ? html`<span class="sp empty vis-card" style="width:${CARD}px;height:${CARD}px"></span>`
      : '';
  return html`<a class="card" href="${n.neuron}.html" data-neuron="${n.neuron}" data-gini="${s?.gini ?? ''}" data-flatness="${s?.flatness ?? ''}" data-mf="${s?.mf ?? ''}" data-facet="${s?.facet ?? ''}" data-concept="${concept.name}">
${topPatch(site, '../', layer, n, CARD)}${vis}
<span class="meta"><b>#${n.neuron}</b> <span class="facet ${s?.facet ?? ''}">${s?.facet ?? ''}</span><br><span class="concept">${concept.text}</span><br><small>gini ${fmt(s?.gini, 2)} · flat ${fmt(s?.flatness, 2)}</small></span></a>`;
}

function layerShape(layer: Layer): string {
  return layer.info ? layer.info.shape.join('×') : '—';
}

export function indexPage(site: SiteModel): string {
  const { data } = site;
  const pp = data.preprocess;
  const rows = data.layers.map((layer) => {
    const s = site.summaries.get(layer.name)!;
    const slug = site.slugs.get(layer.name)!;
    const selective = [...layer.neurons].filter((n) => n.stats).sort((a, b) => b.stats!.gini - a.stats!.gini || a.neuron - b.neuron).slice(0, 8);
    return html`<tr>
<td><a class="layer" href="${slug}/index.html">${layer.name}</a></td><td>${layerShape(layer)}</td><td>${layer.info?.rf ? `${layer.info.rf.size} px` : '—'}</td>
<td>${s.neurons}</td><td>${s.sf}</td><td>${s.mf}</td><td>${fmt(s.meanPearson)}</td>
<td>${s.concepts.slice(0, 3).map((c, i) => html`${i ? ', ' : ''}${c.name} (${c.neurons})`)}</td>
<td class="strip">${selective.map((n) => html`<a href="${slug}/${n.neuron}.html" title="neuron ${n.neuron}">${topPatch(site, '', layer, n, 40)}</a>`)}</td>
</tr>`;
  });
  const body = html`<h1>${site.title}</h1>
<p class="lead">${data.layers.length} layers, ${data.layers.reduce((a, l) => a + l.neurons.length, 0)} neurons, ${site.images.distinct.length} distinct top images.
Input ${pp.size}×${pp.size}, ${pp.channels === 1 ? 'gray' : 'RGB'}${data.classes.length ? html`; ${data.classes.length} classes: ${data.classes.join(', ')}` : ''}.</p>
<table class="layers">
<thead><tr><th>layer</th><th>shape</th><th>receptive field</th><th>neurons</th><th>SF</th><th>MF</th><th>mean Pearson</th><th>top concepts</th><th>most selective (Gini)</th></tr></thead>
<tbody>${rows}</tbody>
</table>
<p class="help">SF / MF: single- and multi-faceted neurons (sparsity). Mean Pearson: mean similarity of the layer's class-occurrence rows (similarity). Concepts: the concepts table's label, else the class most top images belong to.</p>`;
  return page(`${site.title}: atlas`, '', body);
}

export function layerPage(site: SiteModel, layer: Layer): string {
  const s = site.summaries.get(layer.name)!;
  const body = html`<h1>${layer.name}</h1>
<p class="lead">${s.neurons} neurons · shape ${layerShape(layer)} · receptive field ${layer.info?.rf ? `${layer.info.rf.size} px` : '—'} · SF ${s.sf} / MF ${s.mf} · mean Pearson ${fmt(s.meanPearson)}</p>
<form class="controls" onsubmit="return false">
<label>sort <select id="sort"><option value="neuron">neuron</option><option value="gini">Gini (most selective first)</option><option value="flatness">flatness (flattest first)</option><option value="mf">MF degree (highest first)</option><option value="concept">concept</option></select></label>
<label>concept <select id="concept"><option value="">all</option>${s.concepts.map((c) => html`<option value="${c.name}">${c.name} (${c.neurons})</option>`)}</select></label>
<label>facet <select id="facet"><option value="">all</option><option value="SF">SF</option><option value="MF">MF</option></select></label>
${layer.neurons.some((n) => n.visualization) ? html`<label>card image <select id="card"><option value="top">top image patch</option><option value="vis">feature visualisation</option></select></label>
` : ''}<output id="shown">${s.neurons} of ${s.neurons} neurons</output>
</form>
<div id="cards" class="cards">${layer.neurons.map((n) => neuronCard(site, layer, n))}</div>`;
  return page(`${layer.name}: ${site.title}`, '../', body, html` › <a href="index.html">${layer.name}</a>`);
}

/**
 * Horizontal bars of a CoF row: the classes that occur, most first (at most 20). The class
 * names and counts get the room their text needs (the widest count stood past the edge and was
 * cut: "46" read "4"), and the drawing scales down to a narrow panel instead of being clipped.
 */
function classHistogram(site: SiteModel, counts: Int32Array | undefined): Raw {
  if (!counts) return html`<p>—</p>`;
  const total = counts.reduce((a, b) => a + b, 0);
  const rows = [...counts].map((count, k) => ({ name: site.data.classes[k] ?? `class ${k}`, count })).filter((r) => r.count > 0).sort((a, b) => b.count - a.count);
  const shown = rows.slice(0, 20);
  const max = Math.max(1, ...shown.map((r) => r.count));
  const rowHeight = 18;
  const width = 360;
  // 12 px text: ~7 px a character (DejaVu/system sans), digits ~7.5.
  const names = shown.map((r) => shortName(r.name, 24));
  const label = Math.min(180, Math.max(40, ...names.map((n) => n.length * 7))) + 8;
  const countRoom = String(max).length * 7.5 + 8;
  const bars = shown.map((r, i) => {
    const w = ((width - label - countRoom) * r.count) / max;
    const y = i * rowHeight;
    return html`<text x="${label - 6}" y="${y + 13}" text-anchor="end">${names[i]}</text><rect x="${label}" y="${y + 3}" width="${fmt(w, 1)}" height="${rowHeight - 6}"></rect><text x="${fmt(label + w + 4, 1)}" y="${y + 13}">${r.count}</text>`;
  });
  const height = shown.length * rowHeight;
  return html`<svg class="hist" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="class histogram of the top ${total} images">${bars}</svg>${rows.length > shown.length ? html`<p class="help">and ${rows.length - shown.length} more classes</p>` : ''}`;
}

function shortName(name: string, max: number): string {
  return name.length <= max ? name : `${name.slice(0, max - 1)}…`;
}

function componentStrip(site: SiteModel, layer: Layer, n: Neuron): Raw {
  const sprites = site.components.get(layer.name);
  const first = sprites?.first.get(n.neuron);
  if (!sprites || first === undefined) return html`<p>—</p>`;
  const slug = site.slugs.get(layer.name)!;
  return html`<div class="components">${n.components.map((_, c) => {
    const slot = sprites.layout.slot(first + c);
    const v = spriteView(sprites.layout, slot, COMPONENT);
    return html`<span class="sp px" style="width:${COMPONENT}px;height:${COMPONENT}px" title="component ${c}"><img src="../${componentSheet(slug, slot.sheet)}" style="width:${fmt(v.width, 1)}px;left:${fmt(v.left, 1)}px;top:${fmt(v.top, 1)}px" alt="ICA component ${c}"></span>`;
  })}</div>`;
}

/** A top image: its saliency map for the neuron where the saliency table has one, else the image with the receptive field boxed. */
function topFigure(site: SiteModel, layer: Layer, n: Neuron, t: TopImage, index: number): Raw {
  const name = t.image.startsWith(site.imageRoot) ? t.image.slice(site.imageRoot.length) : t.image;
  const sprites = site.saliency.get(layer.name);
  const slot = sprites?.slots.get(`${n.neuron}:${index}`);
  const tile =
    sprites && slot !== undefined
      ? thumbnail(site, '../', { file: saliencySheet(site.slugs.get(layer.name)!, sprites.layout.slot(slot).sheet, site.images.format), layout: sprites.layout, slot: sprites.layout.slot(slot) }, TOP, { alt: `saliency of ${name}` })
      : thumbnail(site, '../', site.images.top(layer.name, n.neuron, index), TOP, { box: receptiveBox(t.argmax, layer.info), alt: name, styled: true });
  return html`<figure>${tile}<figcaption>#${t.rank} ${fmt(t.value)}<br>${t.cls ?? '?'}</figcaption></figure>`;
}

/** Says how a receptive field larger than the image, or reaching past its edge, is drawn. */
function fieldNote(site: SiteModel, layer: Layer, tops: TopImage[]): Raw | string {
  const rf = layer.info?.rf;
  if (!rf || tops.some((t) => t.saliency)) return '';
  const image = site.data.preprocess.size;
  if (rf.size >= image) {
    return html`<p class="help field-note">The receptive field (${rf.size} px) is larger than the ${image} px image: each box is the part of it inside the image, often the whole image; dashed sides are where the field continues past the edge.</p>`;
  }
  const past = tops.some((t) => {
    const box = receptiveBox(t.argmax, layer.info);
    return box !== undefined && Object.values(clipBox(box, image).past).some(Boolean);
  });
  return past ? html`<p class="help field-note">Dashed sides: the field (${rf.size} px) continues past the image's edge there.</p>` : '';
}

export function neuronPage(site: SiteModel, layer: Layer, n: Neuron, position: number): string {
  const s = n.stats;
  const concept = conceptText(site, n);
  const prev = layer.neurons[position - 1];
  const next = layer.neurons[position + 1];
  const similar = mostSimilar(n, layer, 8);
  const byNumber = new Map(layer.neurons.map((m) => [m.neuron, m]));
  const tops = topImages(n, site.top);
  const body = html`<h1>${layer.name} · neuron ${n.neuron}</h1>
<p class="pager">${prev ? html`<a rel="prev" href="${prev.neuron}.html">‹ neuron ${prev.neuron}</a>` : ''} ${next ? html`<a rel="next" href="${next.neuron}.html">neuron ${next.neuron} ›</a>` : ''}</p>
<div class="panels">
<section><h2>Statistics</h2><table class="stats">
<tr><th>concept</th><td>${concept.text}</td></tr>
${n.dissection ? html`<tr><th>dissection</th><td>${n.dissection.map((d, i) => html`${i ? html`<br>` : ''}${d.category}: ${d.label ?? '—'} (IoU ${fmt(d.iou)})`)}</td></tr>` : ''}
<tr><th>facet</th><td><span class="facet ${s?.facet ?? ''}">${s?.facet ?? '—'}</span> (p = ${fmt(s?.pValue)})</td></tr>
<tr><th>Gini</th><td>${fmt(s?.gini)}</td></tr>
<tr><th>spectral flatness</th><td>${fmt(s?.flatness)}</td></tr>
<tr><th>MF degree</th><td>${fmt(s?.mf)} (normalised ${fmt(s?.mfNorm)})</td></tr>
<tr><th>top image value</th><td>${fmt(n.top[0]?.value)}</td></tr>
</table></section>
${
    n.visualization
      ? html`<section><h2>Feature visualisation</h2><p><img class="vis" src="../${visualizationFile(site.slugs.get(layer.name)!, n.neuron)}" width="${Math.max(128, n.visualization.width)}" alt="feature visualisation of ${layer.name} neuron ${n.neuron}"></p><p class="help">${n.visualization.objective} ${fmt(n.visualization.value)} on this image (dream); the top dataset image: ${fmt(n.top[0]?.value)}</p></section>
`
      : ''
  }<section><h2>Classes of the top ${n.top.length} images</h2>${classHistogram(site, n.counts)}</section>
<section><h2>ICA components</h2>${componentStrip(site, layer, n)}</section>
<section><h2>Most similar neurons</h2>${
    similar.length === 0
      ? html`<p>—</p>`
      : html`<div class="similar">${similar.map((m) => html`<a href="${m.neuron}.html" title="Pearson ${fmt(m.pearson)}">${topPatch(site, '../', layer, byNumber.get(m.neuron) ?? { ...n, neuron: m.neuron, top: [] }, SIMILAR)}<span>#${m.neuron} · ${fmt(m.pearson, 2)}</span></a>`)}</div>`
  }</section>
</div>
<h2>Top ${tops.length} images${tops.some((t) => t.saliency) ? ', as saliency maps (where the pixels drive the neuron)' : layer.info?.rf ? ', receptive field of the peak boxed, its centre dotted' : ''}</h2>${fieldNote(site, layer, tops)}
<div class="tops">${tops.map((t, i) => topFigure(site, layer, n, t, i))}</div>${
    n.montage ? html`\n<h2>Network Dissection: top probe images, activation above the unit's threshold lit</h2>\n<p><img class="montage" src="../${montageFile(site.slugs.get(layer.name)!, n.neuron)}" alt="dissection montage of ${layer.name} unit ${n.neuron}"></p>` : ''
  }`;
  return page(`${layer.name} neuron ${n.neuron}: ${site.title}`, '../', body, html` › <a href="index.html">${layer.name}</a> › ${n.neuron}`, topsStyle(site, layer, n));
}

