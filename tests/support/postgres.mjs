// A throwaway PostgreSQL server for the tests: a new cluster in a temporary directory (Debian's
// postgresql package, installed by scripts/install-tools.sh), listening only on a Unix socket
// there, trust authentication for the user `pleo`. Started and stopped by the tests themselves;
// as root (CI), the server runs as the `postgres` system user, which PostgreSQL requires.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";

/** The directory of PostgreSQL's programs (the newest installed major version). */
function binDir() {
  const base = "/usr/lib/postgresql";
  const versions = fs.existsSync(base) ? fs.readdirSync(base).filter((v) => /^\d+$/.test(v)).sort((a, b) => b - a) : [];
  for (const v of versions) if (fs.existsSync(path.join(base, v, "bin", "postgres"))) return path.join(base, v, "bin");
  throw new Error("PostgreSQL is not installed: run scripts/install-tools.sh (Debian's postgresql package)");
}

/**
 * Starts a cluster; resolves with its connection string and `stop()`. `dataDir()` is where its
 * files are (to look for plaintext in them).
 */
export async function startPostgres() {
  const bin = binDir();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pleo-pg-"));
  const data = path.join(dir, "data");
  const asRoot = process.getuid?.() === 0;
  const run = (program, args) => {
    const [cmd, full] = asRoot ? ["runuser", ["-u", "postgres", "--", path.join(bin, program), ...args]] : [path.join(bin, program), args];
    return execFileSync(cmd, full, { stdio: ["ignore", "pipe", "pipe"] }).toString();
  };
  if (asRoot) {
    const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
    fs.chownSync(dir, uid, gid);
  }
  run("initdb", ["-D", data, "-A", "trust", "-U", "pleo", "--no-sync", "-E", "UTF8"]);
  const port = 20000 + Math.floor(Math.random() * 20000);
  run("pg_ctl", ["-D", data, "-l", path.join(dir, "log"), "-w", "-o", `-p ${port} -k ${dir} -c listen_addresses='' -c fsync=off`, "start"]);
  return {
    url: `postgresql://pleo@localhost/postgres?host=${encodeURIComponent(dir)}&port=${port}`,
    dataDir: () => data,
    async stop() {
      try {
        run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
