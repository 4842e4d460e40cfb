// The render loop (lucent/optvis/render.py render_vis): each step renders the parameterised
// image, applies a freshly drawn transform pipeline, runs the network forward and backward
// to the tap (the gradient graph), carries the gradient back through the transforms and the
// parameterisation in JavaScript, and takes an Adam step. One batch = B units, one image each
// (or B images of one unit with a diversity weight); memory is that of one batch.
import { evaluateObjective, objectiveSeed, objectiveValues, seedNeedsValues, type ObjectiveSpec } from './objectives.js';
import { makeParam, type ParamKind } from './param/image.js';
import { seededRng } from './random.js';
import { Adam } from './adam.js';
import { StepPipeline, drawStep, type ModelView, type TransformSet } from './transforms.js';

/** The network as dream needs it: the tap's value, and d <seed, tap> / d input. */
export interface GradientEngine {
  /** Per image tap shape ([C, H, W] or [C]). */
  readonly tapShape: number[];
  values(input: Float32Array, batch: number): Promise<Float32Array>;
  gradient(input: Float32Array, batch: number, seed: Float32Array): Promise<{ values: Float32Array; gradient: Float32Array }>;
  /** DeepDream's mean-of-squares gradient in one pass, where the engine computes the seed itself. */
  meanSquareGradient?(input: Float32Array, batch: number): Promise<{ values: Float32Array; gradient: Float32Array }>;
}

export interface RenderOptions {
  param: ParamKind;
  /** Rendered image side, pixels. */
  size: number;
  channels: number;
  steps: number;
  lr: number;
  transforms: TransformSet;
  seed: number;
  view: ModelView;
  /** A starting image (C, size, size) in [0, 1] for every image of the batch (DeepDream --from). */
  from?: Float32Array;
}

export interface RenderResult {
  /** (B, C, size, size) in [0, 1]. */
  images: Float32Array;
  /** Per step, per image: the objective on that step's transformed image (before its update). */
  curve: Float32Array;
}

export async function renderBatch(
  engine: GradientEngine,
  spec: ObjectiveSpec,
  batch: number,
  options: RenderOptions,
  onStep?: (step: number) => void,
): Promise<RenderResult> {
  const { size, channels, steps } = options;
  const rng = seededRng(options.seed);
  const shape = { batch, channels, height: size, width: size };
  let from: Float32Array | undefined;
  if (options.from) {
    from = new Float32Array(batch * options.from.length);
    for (let b = 0; b < batch; b++) from.set(options.from, b * options.from.length);
  }
  const param = makeParam(options.param, shape, rng, from);
  const adam = new Adam(param.params.length, options.lr);
  const curve = new Float32Array(steps * batch);
  const constantSeed = seedNeedsValues(spec) ? undefined : objectiveSeed(spec, new Float32Array(0), batch, engine.tapShape);
  for (let step = 0; step < steps; step++) {
    const image = param.render();
    const draws = options.transforms === 'standard' ? drawStep(rng) : undefined;
    const pipeline = new StepPipeline(options.transforms, draws, size, options.view);
    const input = pipeline.run({ data: image, ...shape });
    let result: { values: Float32Array; gradient: Float32Array };
    if (constantSeed) {
      result = await engine.gradient(input.data, batch, constantSeed);
    } else if (spec.kind === 'deepdream' && spec.diversity === 0 && engine.meanSquareGradient) {
      result = await engine.meanSquareGradient(input.data, batch);
    } else {
      const tap = await engine.values(input.data, batch);
      const { seed } = await evaluateObjective(spec, tap, batch, engine.tapShape);
      result = await engine.gradient(input.data, batch, seed);
    }
    curve.set(objectiveValues(spec, result.values, batch, engine.tapShape), step * batch);
    const imageGrad = pipeline.adjoint({ ...input, data: result.gradient });
    adam.ascend(param.params, param.backward(imageGrad.data));
    onStep?.(step + 1);
  }
  return { images: Float32Array.from(param.render()), curve };
}
