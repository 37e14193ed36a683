// npm_connector_client: the unchanged @binance/connector, driven by npm_connector_test.py.
//
// Usage: node npm_connector_client.js INSTALL_DIR API_PORT
//   INSTALL_DIR holds node_modules/@binance/connector (npm install --prefix INSTALL_DIR).
//   API_PORT is streamvisor's API port on 127.0.0.1.
//
// Only the connector's documented options are set: wsURL (WebsocketStream), baseURL
// (Spot), combinedStreams, callbacks and logger. At start it opens two streams with
// the connector's own methods:
//   raw       WebsocketStream, aggTrade('btcusdt')
//   combined  WebsocketStream with combinedStreams: true,
//             subscribe(['btcusdt@aggTrade', 'btcusdt@depth@100ms'])
// Then it runs the commands read from stdin, one JSON object a line:
//   {"cmd":"call","client":"raw","method":"diffBookDepth","args":["btcusdt","100ms"]}
//   {"cmd":"send","client":"raw","payload":{"method":"LIST_SUBSCRIPTIONS","id":1}}
//   {"cmd":"disconnect","client":"raw"}
//   {"cmd":"rest","tag":"page1","method":"aggTrades","args":["BTCUSDT",{"fromId":5}]}
//   {"cmd":"exit"}
// and writes everything that happens to stdout, one JSON object a line:
//   {"ev":"msg","client":"raw","text":"..."}        every message, as received
//   {"ev":"open"|"close"|"error","client":"raw"}    the connector's callbacks
//   {"ev":"log","client":"raw","level":"info","args":[..]}  the connector's own logging
//   {"ev":"called","client":..,"method":..,"before_ms":..,"after_ms":..}
//   {"ev":"rest","tag":..,"status":200,"body":..} or {"ev":"rest_error","tag":..,..}
//   {"ev":"fatal","error":".."} and exit 1 on a command it cannot run.
'use strict'

const path = require('path')
const readline = require('readline')
const { createRequire } = require('module')

const [installDir, apiPort] = process.argv.slice(2)
if (!installDir || !apiPort) {
  process.stderr.write('usage: node npm_connector_client.js INSTALL_DIR API_PORT\n')
  process.exit(2)
}
// Resolves node_modules from INSTALL_DIR, as a script kept there would.
const connector = createRequire(path.join(installDir, 'package.json'))('@binance/connector')

function emit (obj) {
  process.stdout.write(JSON.stringify(obj) + '\n')
}

function plain (arg) {
  if (arg instanceof Error) return `${arg.name}: ${arg.message}`
  return arg
}

// The connector logs through options.logger (a Console by default, on stdout). This
// one turns each call into a line, so the test sees the URLs and payloads it sends.
function loggerFor (client) {
  const line = level => (...args) => emit({ ev: 'log', client, level, args: args.map(plain) })
  const levels = ['debug', 'info', 'warn', 'error', 'log']
  return Object.fromEntries(levels.map(level => [level, line(level)]))
}

const wsURL = `ws://127.0.0.1:${apiPort}`
const baseURL = `http://127.0.0.1:${apiPort}`

function streamClient (name, options) {
  return new connector.WebsocketStream({
    ...options,
    wsURL,
    logger: loggerFor(name),
    callbacks: {
      open: () => emit({ ev: 'open', client: name }),
      close: () => emit({ ev: 'close', client: name }),
      error: () => emit({ ev: 'error', client: name }),
      message: text => emit({ ev: 'msg', client: name, text })
    }
  })
}

const clients = {
  raw: streamClient('raw', {}),
  combined: streamClient('combined', { combinedStreams: true })
}
const spot = new connector.Spot('', '', { baseURL, logger: loggerFor('spot') })

clients.raw.aggTrade('btcusdt')
clients.combined.subscribe(['btcusdt@aggTrade', 'btcusdt@depth@100ms'])

function clientOf (cmd) {
  const c = clients[cmd.client]
  if (!c) throw new Error(`no client ${JSON.stringify(cmd.client)}`)
  return c
}

async function run (cmd) {
  switch (cmd.cmd) {
    case 'call': {
      const before = Date.now()
      clientOf(cmd)[cmd.method](...(cmd.args || []))
      const after = Date.now()
      emit({ ev: 'called', client: cmd.client, method: cmd.method, before_ms: before,
        after_ms: after })
      return
    }
    case 'send':
      clientOf(cmd).send(JSON.stringify(cmd.payload))
      emit({ ev: 'sent', client: cmd.client, payload: cmd.payload })
      return
    case 'disconnect':
      clientOf(cmd).disconnect()
      emit({ ev: 'disconnected', client: cmd.client })
      return
    case 'rest':
      try {
        const r = await spot[cmd.method](...(cmd.args || []))
        emit({ ev: 'rest', tag: cmd.tag, status: r.status, url: r.config.url, body: r.data })
      } catch (err) {
        const r = err.response
        emit({
          ev: 'rest_error',
          tag: cmd.tag,
          error: plain(err),
          status: r ? r.status : null,
          url: r ? r.config.url : (err.config ? err.config.url : null),
          body: r ? r.data : null
        })
      }
      return
    case 'exit':
      // Sockets the connector keeps (a keep-alive agent) must not hold the process.
      process.stdout.write('', () => process.exit(0))
      return
    default:
      throw new Error(`unknown command ${JSON.stringify(cmd)}`)
  }
}

// Commands run one after another, in the order they were written.
let queue = Promise.resolve()
readline.createInterface({ input: process.stdin }).on('line', text => {
  if (!text.trim()) return
  queue = queue.then(() => run(JSON.parse(text))).catch(err => {
    emit({ ev: 'fatal', error: plain(err) })
    process.exit(1)
  })
}).on('close', () => {
  // The test went away: do not outlive it.
  queue.then(() => process.exit(0))
})
