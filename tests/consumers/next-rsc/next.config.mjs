// A Next.js app that forgets 'use client' on a page using pleo-oauth/react (tests/consumers/
// next.test.mjs): its build must fail with pleo-oauth's own message naming the fix. The build
// goes to one folder per bundler; tests/consumers' node_modules holds next and pleo-oauth.
import path from "node:path";

export default {
  distDir: process.env.NEXT_DIST_DIR ?? ".next",
  turbopack: { root: path.resolve(process.cwd(), "..") },
  outputFileTracingRoot: path.resolve(process.cwd(), ".."),
};
