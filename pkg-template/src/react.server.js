// pleo-oauth/react under the "react-server" export condition: a React Server Component (a
// Next.js App Router page or layout without 'use client') imported the hooks. They run only in
// the browser; say so at build time instead of React's "useState is not a function". The hooks
// are exported (each throwing the same error) so that a bundler checking the names imported
// (Turbopack: "Export usePleoConnect doesn't exist in target module") gets as far as this text.
const message =
  "pleo-oauth/react: usePleoConnect and usePleoCallback are client hooks. Add 'use client' at the top of the file that uses them (in the Next.js App Router a page, layout or component is a Server Component until it does).";
export function usePleoConnect() {
  throw new Error(message);
}
export function usePleoCallback() {
  throw new Error(message);
}
throw new Error(message);
