/**
 * A throw-away single-node Slurm cluster for tests, from Debian's slurm-wlm and munge packages:
 * munged with its own key and socket, slurmctld and slurmd, every address and listening socket
 * on 127.0.0.1 (SlurmctldHost=name(127.0.0.1), NodeAddr=127.0.0.1, NoInAddrAny and
 * NoCtldInAddrAny), ports picked free on loopback, state, spool, logs and pid files in one
 * temporary folder that stop() removes. No cgroups (proctrack/pgid, task/none) and no
 * accounting daemon, so it runs in a container; job states come from scontrol.
 * Everything here has a timeout: a daemon that does not come up is a reason to skip, not a hang.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

const BINARIES = ['munged', 'munge', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'scontrol', 'scancel', 'sinfo'];

export interface SlurmJobTask {
  arrayTaskId: number;
  state: string;
  exitCode: string;
}

export interface SlurmCluster {
  /** The temporary folder holding the configuration, state and logs. */
  dir: string;
  /** Environment for Slurm commands and jobs: SLURM_CONF set, the caller's SLURM_ and SBATCH_ variables dropped. */
  env: NodeJS.ProcessEnv;
  /** Runs a Slurm command against this cluster; rejects on a non-zero exit or after timeoutMs. */
  command(bin: string, args: string[], timeoutMs?: number, extraEnv?: NodeJS.ProcessEnv): Promise<string>;
  /** sbatch --parsable ...; the job id. */
  submit(args: string[], extraEnv?: NodeJS.ProcessEnv): Promise<string>;
  /** Waits until no task of the job is pending or running; each array task's final state. */
  waitFor(jobId: string, timeoutMs: number): Promise<SlurmJobTask[]>;
  /** The daemons' logs, for a failure message. */
  logs(): string;
  /** Cancels submitted jobs, stops the daemons, removes the folder. Safe to call twice. */
  stop(): Promise<void>;
}

function run(bin: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { env, timeout: timeoutMs, killSignal: 'SIGKILL', encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${bin} ${args.join(' ')}: ${err.killed ? `no answer in ${timeoutMs} ms` : (stderr || err.message).trim()}`));
      else resolve(stdout);
    });
  });
}

function onPath(bin: string): boolean {
  return (process.env.PATH ?? '').split(':').some((d) => d !== '' && existsSync(join(d, bin))) || existsSync(join('/usr/sbin', bin));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} not ready after ${timeoutMs} ms`);
    await sleep(200);
  }
}

/** `slurmd -C`'s line as fields: NodeName, CPUs, Boards, SocketsPerBoard, CoresPerSocket, ThreadsPerCore, RealMemory. */
function parseNodeLine(text: string): Record<string, string> {
  const line = text.split('\n').find((l) => l.startsWith('NodeName=')) ?? '';
  return Object.fromEntries(line.split(/\s+/).filter((w) => w.includes('=')).map((w) => w.split('=', 2) as [string, string]));
}

/**
 * Starts the cluster, or says in one line why it cannot (binaries missing, a daemon that does not
 * come up within startTimeoutMs); nothing is left behind in that case.
 */
export async function startSlurmCluster(startTimeoutMs = 20_000): Promise<{ cluster: SlurmCluster } | { skip: string }> {
  const missing = BINARIES.filter((b) => !onPath(b));
  if (missing.length > 0) return { skip: `Slurm test skipped: ${missing.join(', ')} not installed (apt-get install slurm-wlm munge)` };
  const sbin = (b: string) => (existsSync(join('/usr/sbin', b)) ? join('/usr/sbin', b) : b);

  // Unix sockets (munge's, slurmstepd's in the spool) must fit in 107 bytes: a short folder.
  const dir = mkdtempSync(join(tmpdir().length <= 20 ? tmpdir() : '/tmp', 'cnnpipe-slurm-'));
  const daemons: ChildProcess[] = [];
  const jobs: string[] = [];
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(SLURM|SBATCH|SALLOC|SRUN|SQUEUE)_/.test(k)));
  const confFile = join(dir, 'slurm.conf');
  env.SLURM_CONF = confFile;
  const killAll = () => {
    for (const d of daemons) if (d.exitCode === null && d.signalCode === null) d.kill('SIGKILL');
  };
  process.once('exit', killAll);
  let stopped = false;

  const daemon = (bin: string, args: string[], log: string) => {
    const fd = openSync(join(dir, log), 'a');
    const child = spawn(sbin(bin), args, { env, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    child.on('error', () => {});
    daemons.push(child);
    return child;
  };
  const logs = () =>
    ['munged.out', 'slurmctld.out', 'slurmd.out']
      .filter((f) => existsSync(join(dir, f)))
      .map((f) => `--- ${f}\n${readFileSync(join(dir, f), 'utf8').split('\n').filter((l) => !/pmix/i.test(l)).slice(-15).join('\n')}`)
      .join('\n');

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    // Jobs first, so no slurmstepd outlives its slurmd; then the daemons, nicely, then not.
    if (jobs.length > 0) {
      await run('scancel', jobs, env, 5000).catch(() => {});
      await until('cancelled jobs', 5000, async () => ((await run('squeue', ['-h', '-j', jobs.join(',')], env, 3000)).trim() === '' ? true : undefined)).catch(() => {});
    }
    for (const d of [...daemons].reverse()) {
      if (d.exitCode !== null || d.signalCode !== null) continue;
      const exited = new Promise((r) => d.once('exit', r));
      d.kill('SIGTERM');
      const timer = setTimeout(() => d.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    process.removeListener('exit', killAll);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    chmodSync(dir, 0o711);
    // munge: a fresh key, its socket in the folder, origin pinned to loopback (no name lookup).
    const key = join(dir, 'munge.key');
    writeFileSync(key, randomBytes(1024), { mode: 0o400 });
    const socket = join(dir, 'munge.sock');
    daemon('munged', ['-F', '-f', `--socket=${socket}`, `--key-file=${key}`, `--pid-file=${join(dir, 'munged.pid')}`, `--log-file=${join(dir, 'munged.log')}`, `--seed-file=${join(dir, 'munged.seed')}`, '--origin=127.0.0.1'], 'munged.out');
    await until('munged', startTimeoutMs, async () => ((await run('munge', ['-n', '-S', socket], env, 3000)).length > 0 ? true : undefined));

    // The node as slurmd sees it (name, CPUs, topology); memory as reported.
    const node = parseNodeLine(await run(sbin('slurmd'), ['-C'], env, 10_000));
    const name = node.NodeName;
    if (!name) throw new Error('slurmd -C printed no NodeName');
    const stepSocket = join(dir, 'spool', `${name}_4294967295.4294967295`);
    if (stepSocket.length > 107) throw new Error(`socket paths like ${stepSocket} are longer than 107 bytes (a shorter host name or TMPDIR)`);
    const [ctldPort, slurmdPort] = [await freePort(), await freePort()];
    const hardware = ['CPUs', 'Boards', 'SocketsPerBoard', 'CoresPerSocket', 'ThreadsPerCore', 'RealMemory'].filter((k) => node[k]).map((k) => `${k}=${node[k]}`).join(' ');
    const conf = [
      'ClusterName=cnnpipe-test',
      `SlurmctldHost=${name}(127.0.0.1)`,
      `SlurmctldPort=${ctldPort}`,
      `SlurmdPort=${slurmdPort}`,
      // Listen on loopback only (the default binds every address).
      'CommunicationParameters=NoInAddrAny,NoCtldInAddrAny',
      // Daemons and jobs as whoever runs the test (root in CI).
      `SlurmUser=${userInfo().username}`,
      `SlurmdUser=${userInfo().username}`,
      'AuthType=auth/munge',
      'CredType=cred/munge',
      `AuthInfo=socket=${socket}`,
      `StateSaveLocation=${join(dir, 'state')}`,
      `SlurmdSpoolDir=${join(dir, 'spool')}`,
      `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
      `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
      `SlurmctldLogFile=${join(dir, 'slurmctld.log')}`,
      `SlurmdLogFile=${join(dir, 'slurmd.log')}`,
      // No cgroups (a container may have none writable), no accounting daemon, no mail.
      'ProctrackType=proctrack/pgid',
      'TaskPlugin=task/none',
      'JobAcctGatherType=jobacct_gather/none',
      'AccountingStorageType=accounting_storage/none',
      'JobCompType=jobcomp/none',
      'MpiDefault=none',
      'SwitchType=switch/none',
      'MailProg=/bin/true',
      // FIFO; tasks share the node by CPU (memory is not a consumable here).
      'SchedulerType=sched/builtin',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_CPU',
      'ReturnToService=2',
      'MinJobAge=300',
      `NodeName=${name} NodeAddr=127.0.0.1 NodeHostname=${name} ${hardware} State=UNKNOWN`,
      `PartitionName=test Nodes=${name} Default=YES MaxTime=10 State=UP`,
    ];
    writeFileSync(confFile, `${conf.join('\n')}\n`);
    for (const sub of ['state', 'spool']) mkdirSync(join(dir, sub));

    daemon('slurmctld', ['-D', '-i', '-f', confFile], 'slurmctld.out');
    daemon('slurmd', ['-D', '-f', confFile, '-N', name], 'slurmd.out');
    await until('the node', startTimeoutMs, async () => {
      for (const d of daemons) if (d.exitCode !== null || d.signalCode !== null) throw new Error('a daemon exited');
      return /^idle$/.test((await run('sinfo', ['-h', '-n', name, '-o', '%T'], env, 3000)).trim()) ? true : undefined;
    });
  } catch (err) {
    const exited = daemons.filter((d) => d.exitCode !== null || d.signalCode !== null).map((d) => d.spawnfile);
    const why = `Slurm test skipped: the single-node cluster did not start (${(err as Error).message}${exited.length ? `; exited: ${exited.join(', ')}` : ''})\n${logs()}`;
    await stop();
    return { skip: why };
  }

  const command = (bin: string, args: string[], timeoutMs = 10_000, extraEnv: NodeJS.ProcessEnv = {}) => run(bin, args, { ...env, ...extraEnv }, timeoutMs);
  const cluster: SlurmCluster = {
    dir,
    env,
    command,
    logs,
    stop,
    async submit(args, extraEnv) {
      const id = (await command('sbatch', ['--parsable', ...args], 10_000, extraEnv)).trim().split(';')[0]!;
      jobs.push(id);
      return id;
    },
    async waitFor(jobId, timeoutMs) {
      await until(`job ${jobId}`, timeoutMs, async () => ((await command('squeue', ['-h', '-j', jobId, '-o', '%i'], 5000)).trim() === '' ? true : undefined));
      // One line per array task: ... JobState=COMPLETED ... ExitCode=0:0 ... ArrayTaskId=3 ...
      const lines = (await command('scontrol', ['show', 'job', '-o', jobId])).trim().split('\n');
      return lines.map((line) => {
        const field = (k: string) => new RegExp(`(?:^|\\s)${k}=(\\S+)`).exec(line)?.[1] ?? '';
        return { arrayTaskId: Number(field('ArrayTaskId')), state: field('JobState'), exitCode: field('ExitCode') };
      }).sort((a, b) => a.arrayTaskId - b.arrayTaskId);
    },
  };
  return { cluster };
}
