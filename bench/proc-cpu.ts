/** CPU and memory used by other processes (Linux /proc), for the rows and reports that run children. */
import { readFileSync } from "node:fs";
import type { ServeChild } from "../test/helpers/cli.js";

/** CPU seconds used so far by these processes (Linux /proc), or NaN where it cannot be read. */
export function cpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
    } catch {
      return Number.NaN;
    }
  }
  return ticks / 100; // USER_HZ
}

/** Resident set size of a process in bytes (Linux /proc), or NaN where it cannot be read. */
export function residentBytes(pid: number): number {
  try {
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb === undefined ? Number.NaN : Number(kb) * 1024;
  } catch {
    return Number.NaN;
  }
}

/** The processes of running `pmh serve`s: each primary and its workers (from their "listening" lines). */
export function serverPids(servers: ServeChild[]): number[] {
  return servers.flatMap((s) => [s.child.pid!, ...[...s.output().matchAll(/worker \d+ \(pid (\d+)\) listening/g)].map((m) => Number(m[1]))]);
}
