import { channelMeanSeed, type GradientModel } from '@cnnpipe/autodiff';
import { CliError, mulberry32, ort } from '@cnnpipe/core';
import { addNoise, gaussian, noiseSigma, timesInput, topChannels, type Method } from './methods.js';

/** Which units of the layer to explain: the same channels for every image, or each image's strongest. */
export type Units = { channels: number[] } | { top: number };

export interface SaliencyOptions {
  method: Method;
  units: Units;
  /** SmoothGrad: noisy copies per map, and σ as a fraction of the image's value range. */
  samples: number;
  noise: number;
  seed: number;
  /** Rows (image copies) per onnxruntime run. */
  rows: number;
}

export interface SaliencyMap {
  /** Index of the image in the batch given. */
  image: number;
  neuron: number;
  /** d(channel mean)/d(input) (times the input for gradient-x-input), CHW like the input. */
  pixels: Float32Array;
}

/**
 * Saliency maps from one forward+backward session: every (image, unit, noise sample) is a
 * row of a run, its seed the unit's channel-mean one-hot; rows go to onnxruntime `rows` at a
 * time, so memory holds one run's inputs and one batch of images' maps.
 */
export class SaliencyComputer {
  private readonly perImage: number;
  private readonly perTap: number;
  private readonly normal: () => number;

  constructor(
    private readonly graph: GradientModel,
    private readonly session: ort.InferenceSession,
    private readonly options: SaliencyOptions,
  ) {
    this.perImage = graph.inputShape.reduce((p, d) => p * d, 1);
    this.perTap = graph.tapShapes[0]!.reduce((p, d) => p * d, 1);
    this.normal = gaussian(mulberry32(options.seed));
    const channels = graph.tapShapes[0]![0]!;
    if ('channels' in options.units) {
      const bad = options.units.channels.find((c) => !(Number.isInteger(c) && c >= 0 && c < channels));
      if (bad !== undefined) throw new CliError(`--channel ${bad}: the layer has channels 0..${channels - 1}`);
    }
  }

  /** Rows per run: the model's fixed batch if it has one. */
  private get rows(): number {
    return this.graph.batch ?? this.options.rows;
  }

  private async run(x: Float32Array, seeds: Float32Array, count: number): Promise<{ gradient: Float32Array; values: Float32Array }> {
    const rows = this.graph.batch ?? count;
    const pad = (data: Float32Array, per: number) => (rows === count ? data : (() => {
      const padded = new Float32Array(rows * per);
      padded.set(data.subarray(0, count * per));
      return padded;
    })());
    const feeds = {
      [this.graph.input]: new ort.Tensor('float32', pad(x, this.perImage), [rows, ...this.graph.inputShape]),
      [this.graph.seeds[0]!]: new ort.Tensor('float32', pad(seeds, this.perTap), [rows, ...this.graph.tapShapes[0]!]),
    };
    const out = await this.session.run(feeds);
    return { gradient: out[this.graph.gradient]!.data as Float32Array, values: out[this.graph.values[0]!]!.data as Float32Array };
  }

  /** The units per image: given channels, or each image's `top` strongest by channel mean (one forward run per chunk). */
  private async unitsOf(pixels: Float32Array, images: number): Promise<number[][]> {
    const units = this.options.units;
    if ('channels' in units) return Array.from({ length: images }, () => units.channels);
    const out: number[][] = [];
    for (let start = 0; start < images; start += this.rows) {
      const count = Math.min(this.rows, images - start);
      const x = pixels.subarray(start * this.perImage, (start + count) * this.perImage);
      const { values } = await this.run(x, new Float32Array(count * this.perTap), count);
      out.push(...topChannels(values, this.graph.tapShapes[0]!, count, units.top));
    }
    return out;
  }

  /**
   * The maps of `images` images (CHW float32 one after the other in `pixels`), image by
   * image, unit by unit; `given` names each image's units instead of the options' choice.
   */
  async maps(pixels: Float32Array, images: number, given?: number[][]): Promise<SaliencyMap[]> {
    const channels = this.graph.tapShapes[0]![0]!;
    const bad = given?.flat().find((c) => !(c >= 0 && c < channels));
    if (bad !== undefined) throw new CliError(`neuron ${bad} is outside the layer (channels 0..${channels - 1})`);
    const units = given ?? (await this.unitsOf(pixels, images));
    const smooth = this.options.method === 'smoothgrad';
    const samples = smooth ? this.options.samples : 1;
    const maps: SaliencyMap[] = [];
    const jobs: { map: number; image: number; neuron: number }[] = [];
    units.forEach((list, image) =>
      list.forEach((neuron) => {
        maps.push({ image, neuron, pixels: new Float32Array(this.perImage) });
        for (let s = 0; s < samples; s++) jobs.push({ map: maps.length - 1, image, neuron });
      }),
    );
    const sigmas = smooth ? Array.from({ length: images }, (_, i) => noiseSigma(pixels.subarray(i * this.perImage, (i + 1) * this.perImage), this.options.noise)) : [];
    for (let start = 0; start < jobs.length; start += this.rows) {
      const chunk = jobs.slice(start, start + this.rows);
      const x = new Float32Array(chunk.length * this.perImage);
      chunk.forEach((job, r) => {
        const image = pixels.subarray(job.image * this.perImage, (job.image + 1) * this.perImage);
        if (smooth) addNoise(image, sigmas[job.image]!, this.normal, x, r * this.perImage);
        else x.set(image, r * this.perImage);
      });
      const seeds = channelMeanSeed(this.graph.tapShapes[0]!, chunk.map((job) => job.neuron));
      const { gradient } = await this.run(x, seeds, chunk.length);
      chunk.forEach((job, r) => {
        const target = maps[job.map]!.pixels;
        const row = gradient.subarray(r * this.perImage, (r + 1) * this.perImage);
        if (samples === 1) target.set(row);
        else for (let i = 0; i < target.length; i++) target[i]! += row[i]! / samples;
      });
    }
    if (this.options.method === 'gradient-x-input') {
      for (const map of maps) timesInput(map.pixels, pixels.subarray(map.image * this.perImage, (map.image + 1) * this.perImage));
    }
    return maps;
  }
}
