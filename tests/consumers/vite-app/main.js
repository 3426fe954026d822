// A Vite app's entry: the package is imported by name and bundled by `vite build`.
import "../app.js";
