import { ort } from './ort.js';
import { CliError, UsageError } from '../cli/errors.js';
import { diagnoseFailure, hostEnvironment, missingBeforeStart, type ProbeEnvironment } from './execution-provider-check.js';

/** Execution providers a user may ask for with `--ep`. */
export const EXECUTION_PROVIDERS = ['cpu', 'webgpu', 'cuda'] as const;
export type ExecutionProvider = (typeof EXECUTION_PROVIDERS)[number];

export function parseExecutionProvider(value: string): ExecutionProvider {
  if ((EXECUTION_PROVIDERS as readonly string[]).includes(value)) return value as ExecutionProvider;
  throw new UsageError(`--ep: unknown execution provider '${value}' (expected one of ${EXECUTION_PROVIDERS.join(', ')})`);
}

export interface SessionOptions {
  ep?: ExecutionProvider;
  /** Called with a message when the asked-for provider is unavailable and CPU is used. */
  onFallback?: (message: string) => void;
  /** A provider that cannot start is an error (exit 1) instead of a fallback to CPU: for batch jobs. */
  requireEp?: boolean;
  intraOpThreads?: number;
  /**
   * Graph optimisation before the first run (default 'all'). 'basic' builds a session in
   * a fraction of the time for a model that runs once (a shape probe), at a slower run;
   * 'disabled' for a session that never runs (its inferred output shapes are all it is for).
   */
  optimization?: 'all' | 'basic' | 'disabled';
  /** onnxruntime graph optimisers to leave out, by name (e.g. 'NchwcTransformer'), for comparisons and workarounds. */
  disabledOptimizers?: string[];
  /**
   * The folder external-data locations in `model` (bytes) are relative to: onnxruntime reads
   * those weights from the files itself (a model loaded with its weights referenced, not copied).
   */
  externalDataFolder?: string;
  /**
   * Leave weights as they are instead of repacking them for faster MatMul/Gemm: for a session
   * that runs once (a shape probe), where the packed copy (411 MB for VGG16's first
   * classifier layer) costs more time and memory than it saves.
   */
  noPrepacking?: boolean;
  /**
   * onnxruntime's CPU memory arena (default on): it grows by powers of two, so a model with
   * huge activations holds more than it uses (VGG16 at batch 32: 1.68 GB peak with it, 1.49 GB
   * without); off, every run allocates afresh.
   */
  memArena?: boolean;
  /**
   * Whether onnxruntime's intra-op threads spin while waiting for work (default on). Off, they
   * sleep: the cores go to whatever else the process runs meanwhile (extract's image decoding).
   */
  spinning?: boolean;
  /** Where to look for provider libraries (tests). */
  environment?: ProbeEnvironment;
}

/**
 * An onnxruntime session on the asked-for execution provider. Where that provider cannot
 * start here, one message names what is missing (execution-provider-check.ts) and the
 * session falls back to CPU — or, with `requireEp`, a CliError says so.
 */
export async function createSession(
  model: Uint8Array | string,
  options: SessionOptions = {},
): Promise<{ session: ort.InferenceSession; ep: ExecutionProvider }> {
  const ep = options.ep ?? 'cpu';
  const base: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: options.optimization ?? 'all',
    logSeverityLevel: 3,
    ...(options.memArena === false ? { enableCpuMemArena: false } : {}),
    ...(options.intraOpThreads ? { intraOpNumThreads: options.intraOpThreads } : {}),
  };
  const extra: Record<string, Record<string, string>> = {};
  if (options.disabledOptimizers?.length) extra.optimization = { disable_specified_optimizers: options.disabledOptimizers.join(',') };
  const session: Record<string, string> = {};
  if (options.externalDataFolder) session.model_external_initializers_file_folder_path = options.externalDataFolder;
  if (options.noPrepacking) session.disable_prepacking = '1';
  if (options.spinning === false) session['intra_op.allow_spinning'] = '0';
  if (Object.keys(session).length > 0) extra.session = session;
  if (Object.keys(extra).length > 0) base.extra = extra;
  const open = (providers: ExecutionProvider[]) =>
    typeof model === 'string'
      ? ort.InferenceSession.create(model, { ...base, executionProviders: providers })
      : ort.InferenceSession.create(model, { ...base, executionProviders: providers });
  if (ep === 'cpu') return { session: await open(['cpu']), ep };
  const env = options.environment ?? hostEnvironment();
  // Known gaps are named before trying: a WebGPU attempt without Vulkan prints Dawn's own lines.
  let why = missingBeforeStart(ep, env);
  if (why === undefined) {
    try {
      return { session: await open([ep]), ep };
    } catch (error) {
      const reason = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
      why = diagnoseFailure(ep, reason, env);
    }
  }
  const message = `execution provider '${ep}' is not available here (${why})`;
  if (options.requireEp) throw new CliError(`${message}; --require-ep makes that an error`);
  options.onFallback?.(`${message}; using cpu`);
  return { session: await open(['cpu']), ep: 'cpu' };
}

export { ort };
