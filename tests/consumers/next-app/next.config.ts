// The README's next.config: Referrer-Policy on the redirect-URI page, pleo-oauth bundled (not in
// serverExternalPackages). The fixture adds only where the build goes (one folder per bundler)
// and the Turbopack root (tests/consumers, whose node_modules holds next and pleo-oauth).
import path from "node:path";
import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  distDir: process.env.NEXT_DIST_DIR ?? ".next",
  turbopack: { root: path.resolve(process.cwd(), "..") },
  outputFileTracingRoot: path.resolve(process.cwd(), ".."),
  async headers() {
    return [{ source: "/pleo/callback", headers: [{ key: "Referrer-Policy", value: "no-referrer" }] }];
  },
};

export default nextConfig;
