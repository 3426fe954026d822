// @vitest-environment jsdom
// A partner's test under vitest + jsdom: the environment docblock is the only configuration.
import { pleoFlowSuite } from "./flow.js";

pleoFlowSuite("jsdom", "jsdom");
