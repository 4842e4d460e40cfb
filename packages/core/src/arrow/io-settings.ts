/**
 * What the command line says about reading and writing tables, for the readers and writers
 * deep inside a tool (openArrow, ArrowWriter) that get no arguments: runTool sets it once.
 */
export interface IoSettings {
  /** --kind: the table kind of an input that carries no cnnpipe.kind metadata. */
  kind?: string;
  /** --compress: compress what is written (Arrow IPC: LZ4 frame; Parquet: ZSTD). */
  compress: boolean;
  /** Where notes about an input go (assumed kind, converted columns): `TOOL: ...` on stderr. */
  note(message: string): void;
}

export const ioSettings: IoSettings = {
  compress: false,
  note: (message) => process.stderr.write(`${message}\n`),
};

export function configureIo(settings: Partial<IoSettings>): void {
  Object.assign(ioSettings, settings);
}
