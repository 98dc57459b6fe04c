// pino-loki (JSON push) against a running Log Sentinel. Usage: node pino.mjs BASE_URL
// Exits non-zero when a push fails (pino-loki only reports it on stderr).
import { once } from 'node:events'
import pino from 'pino'
import { pinoLoki } from 'pino-loki'

const base = process.argv[2]
let failures = 0
const report = console.error
console.error = (...args) => { failures++; report(...args) }

// Batched with a long interval, so the whole batch goes out on close, which
// pino-loki awaits: nothing is lost when the process exits.
const stream = pinoLoki({ host: base, labels: { app: 'pino-json' }, batching: { interval: 60 }, timeout: 10000 })
const logger = pino({ level: 'debug' }, stream)
logger.info({ meta: { trace_id: 'trace-1' } }, 'pino info')
logger.warn('pino warn')
logger.error('pino error')
stream.end()
await once(stream, 'close')
process.exit(failures ? 1 : 0)
