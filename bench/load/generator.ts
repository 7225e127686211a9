/**
 * The load generator: a child process of the runner, pinned to its own core. It takes one task
 * over IPC, runs the scenario against the servers named in it, and sends back the figures.
 */
import type { GeneratorMessage, ScenarioName, Task, TaskResult } from '../lib/types.js'
import { throughput } from '../scenarios/throughput.js'
import { latency } from '../scenarios/latency.js'
import { idle } from '../scenarios/idle.js'
import { httpPublish } from '../scenarios/http-publish.js'
import { slowConsumer } from '../scenarios/slow-consumer.js'

const scenarios: Record<ScenarioName, (task: Task) => Promise<TaskResult>> = {
  fanout: throughput,
  'many-topics': throughput,
  cluster: throughput,
  latency,
  idle,
  'http-publish': httpPublish,
  'slow-consumer': slowConsumer
}

function reply (message: GeneratorMessage): void {
  process.send?.(message, () => process.exit(0))
}

process.once('message', (task: Task) => {
  scenarios[task.scenario](task).then(
    (result) => reply({ type: 'result', result }),
    (err: Error) => reply({ type: 'error', error: err.stack ?? String(err) })
  )
})
