// @vitest-environment happy-dom
// A partner's test under vitest + happy-dom: the environment docblock is the only configuration
// (vitest's happy-dom page URL defaults to http://localhost:3000, like jsdom's).
import { pleoFlowSuite } from "./flow.js";

pleoFlowSuite("happy-dom", "HappyDOM");
