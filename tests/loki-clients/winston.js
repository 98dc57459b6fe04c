// winston-loki against a running Log Sentinel: once in its default protobuf +
// snappy mode (`json: false`), once in JSON mode. Usage: node winston.js BASE_URL
// Exits non-zero when a push fails.
'use strict'
const winston = require('winston')
const LokiTransport = require('winston-loki')

const base = process.argv[2]
let failures = 0

async function ship (app, json) {
  const transport = new LokiTransport({
    host: base,
    json,
    labels: { app },
    batching: false,
    gracefulShutdown: false,
    timeout: 10000,
    onConnectionError: err => { failures++; console.error(`${app}: push failed: ${err.message}`) }
  })
  // Which wire format this transport really uses (it falls back to JSON when the
  // snappy binding cannot load): the Rust test checks this line.
  console.log(`${app} sends ${transport.batcher.contentType}`)
  const logger = winston.createLogger({ level: 'debug', transports: [transport] })
  logger.info(`${app} info`)
  logger.warn(`${app} warn`)
  logger.error(`${app} error`, { user: 'u1' })
  // Let the transport's setImmediate-driven pushes start, then wait for them.
  await new Promise(resolve => setTimeout(resolve, 200))
  await transport.flush()
  await transport.close()
}

(async () => {
  await ship('winston-proto', false)
  await ship('winston-json', true)
  process.exit(failures ? 1 : 0)
})().catch(err => { console.error(err); process.exit(1) })
