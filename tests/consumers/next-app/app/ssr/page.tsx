// A page rendered on the server at every request: its client component starts
// PleoOAuth.preload() at module level, as a partner did in issue 18, and shows how that went.
import { PreloadOutcome } from "./preload-outcome";

export const dynamic = "force-dynamic";

export default function SsrPage() {
  return <PreloadOutcome />;
}
