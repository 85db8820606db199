import { spawn } from 'node:child_process'

/** Outcome of a process run in its own group, with its captured output. */
export interface GroupRunResult {
  /** Exit code, or null when a signal ended the process or it never started. */
  exitCode: number | null
  stdout: string
  stderr: string
  timedOut: boolean
  /** Set when the process could not start, e.g. ENOENT or EACCES. */
  spawnError?: NodeJS.ErrnoException
  /** Set when stdout or stderr grew past maxBufferBytes and the group was killed. */
  overflowed: boolean
}

export interface GroupRunOptions {
  timeoutMs: number
  /** Largest stdout or stderr kept, in bytes; more kills the group. */
  maxBufferBytes?: number
}

// Groups still running, so a test run that exits early does not leave them behind.
const liveGroups = new Set<number>()
process.on('exit', () => {
  for (const pid of liveGroups) killGroup(pid)
})

function killGroup(pid: number): void {
  try {
    // A negative pid signals the whole process group the child leads.
    process.kill(-pid, 'SIGKILL')
  } catch {
    // ESRCH: the group is already gone.
  }
}

/**
 * Runs a program as the leader of its own process group (`detached`), so a
 * timeout kills it together with every process it started. When the leader
 * exits, what it left running in its group is killed too, so no render
 * leaves processes behind.
 */
export function runInProcessGroup(file: string, args: string[], options: GroupRunOptions): Promise<GroupRunResult> {
  const maxBufferBytes = options.maxBufferBytes ?? 256 * 1024 * 1024

  return new Promise((resolve) => {
    const child = spawn(file, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    let timedOut = false
    let overflowed = false
    let exitCode: number | null = null
    let spawnError: NodeJS.ErrnoException | undefined

    const pid = child.pid
    if (pid !== undefined) liveGroups.add(pid)
    const stopGroup = () => {
      if (pid === undefined) return
      killGroup(pid)
      liveGroups.delete(pid)
    }

    const timer = setTimeout(() => {
      timedOut = true
      stopGroup()
    }, options.timeoutMs)

    const collect = (stream: NodeJS.ReadableStream): Buffer[] => {
      const chunks: Buffer[] = []
      let bytes = 0
      stream.on('data', (chunk: Buffer) => {
        bytes += chunk.length
        if (bytes <= maxBufferBytes) {
          chunks.push(chunk)
          return
        }
        overflowed = true
        stopGroup()
      })
      return chunks
    }
    const stdout = collect(child.stdout)
    const stderr = collect(child.stderr)

    child.on('error', (error: NodeJS.ErrnoException) => {
      spawnError = error
    })
    // A process the leader left behind may hold stdout open, so 'close'
    // would wait for it; killing the group on 'exit' lets the pipes close.
    child.on('exit', (code) => {
      exitCode = code
      stopGroup()
    })
    child.on('close', () => {
      clearTimeout(timer)
      stopGroup()
      resolve({
        exitCode: spawnError ? null : exitCode,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        timedOut,
        spawnError,
        overflowed,
      })
    })
  })
}
