/** tap's `before` script: compiles the server once before test files start, so two files running side by side do not both build it. */
import { compiledServer } from './compiled-server.js'

await compiledServer()
