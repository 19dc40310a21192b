/**
 * `lucid session record` and `lucid session play` (docs/interfaces.md section 1):
 *
 *   lucid session record --frames N --out DIR [--chunk-size S] [--codec zlib|pako] [--keep-plaintext] [--anchor URL]
 *   lucid session play DIR --out FILE [--anchor URL|EXPORT_FILE]
 *
 * record captures N synthetic desktop frames (sim/frames, 1280x720 RGBA, seeded), cuts the stream into
 * chunks of S bytes (default 10 MiB; suffixes k, m, KiB, MiB) and records them into DIR; --keep-plaintext
 * also writes the raw capture to DIR/plaintext.raw for comparison with play's output. play verifies the
 * whole recording chunk by chunk and writes the capture to FILE; FILE appears only complete (temporary
 * file, fsync, rename), never half.
 *
 * `record --anchor URL` anchors the finished recording on the chain of the gateway at URL: a public data anchor
 * (POST URL/chain/anchor) labelled with the session id, of SHA-256 of `<manifest_hash>:<merkle_root>`.
 * `play --anchor` takes the chain from a gateway (URL) or an export file (`lucid chain export`), verifies every
 * block, signature and certificate (the replay of `lucid chain export`), finds the recording's anchor (the
 * earliest of its session id: services/chain/recording-anchor.ts), checks its inclusion proof and plays only a
 * recording whose manifest_hash and merkle_root are the anchored ones (LUCID_ERR_2014 otherwise): a cut or
 * substituted recording fails even for a holder of the key.
 *
 * The master key: LUCID_MASTER_KEY (32 bytes, hex or base64), else DIR/master.key, created by record with
 * mode 0600. It is never printed. The session and chunk metadata go to a LevelDB inside the recording,
 * DIR/meta (fsync'ed commits), where play finds them; the session belongs to user `local`. Usage errors throw LUCID_ERR_9001/9003 (the CLI prints one line, exit 2);
 * a recording that fails verification prints its LUCID_ERR_2xxx code and the chunk, exit 1 (a chain given to
 * --anchor that fails verification: its LUCID_ERR_5xxx code, exit 1).
 */
import { createWriteStream } from 'node:fs'
import { access, mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { parseErrorMessage } from '../../args.ts'
import { errors, isLucidError } from '../../../services/common/errors.ts'
import { writeFileAtomic } from '../../../services/common/atomic-file.ts'
import { createRng } from '../../../services/common/rng.ts'
import type { Database } from '../../../services/db/index.ts'
import {
  CODEC_NAMES,
  FsChunkStore,
  MAX_CHUNK_BYTES,
  METADATA_DIR,
  SessionPlayer,
  SessionRecorder,
  createCodec,
  loadMasterKey,
  openRecordingDatabase,
  parseManifest,
  readRecordingInfo,
  type AnchoredManifest,
  type ChunkReceipt,
  type CodecName,
  type KeySource
} from '../../../services/session/index.ts'
import { findRecordingAnchor, proveRecordingAnchor, recordingAnchorText, replayLedgers, type FinalBlock, type Genesis } from '../../../services/chain/index.ts'
import { renderFrame } from '../../../sim/frames/desktop.ts'
import { fetchChain } from './chain.ts'

/** Where the command writes, and its environment (injectable for tests). */
export interface SessionIo {
  readonly out: NodeJS.WritableStream
  readonly err: NodeJS.WritableStream
  readonly env: NodeJS.ProcessEnv
}

const USAGE =
  'lucid session record --frames N --out DIR [--chunk-size S] [--codec zlib|pako] [--keep-plaintext] [--anchor URL] | lucid session play DIR --out FILE [--anchor URL|EXPORT_FILE]'

/** `lucid session --help`. */
const HELP = `lucid session record --frames N --out DIR [options]
lucid session play DIR --out FILE [--anchor URL|EXPORT_FILE]

record: captures N synthetic desktop frames (1280x720 RGBA, 3.5 MiB each), compresses and encrypts them in
chunks into DIR, with the session and chunk metadata in DIR/meta.
  --frames N          frames to capture (300 frames write about 190 MB into DIR: the frames compress poorly)
  --out DIR           the recording's directory (must not hold a recording)
  --chunk-size S      plaintext bytes per chunk (default 10 MiB; suffixes k, m, KiB, MiB)
  --codec zlib|pako   the compressor (default zlib)
  --keep-plaintext    also write the raw capture to DIR/plaintext.raw (3.5 MiB a frame: 1.1 GB for 300)
  --anchor URL        anchor the finished recording on the chain of the gateway at URL
play: verifies every chunk of DIR and writes the capture to FILE (3.5 MiB a frame: 300 frames, 1.1 GB)
  --out FILE          where the capture goes (appears only complete)
  --anchor SRC        play only a recording anchored on the chain of a gateway (URL) or an export file
The master key: LUCID_MASTER_KEY (hex or base64), else DIR/master.key (created by record, mode 0600).
Exit codes: 0 done, 1 a recording (or chain) that fails verification, 2 usage error, 3 crashed.`
const KEY_FILE = 'master.key'
/** sessions.user_id of recordings made by the CLI, which has no signed-in user. */
const CLI_USER = 'local'
const DEFAULT_CHUNK = 10 * 1024 * 1024
/** Appends allowed in flight: compressing chunk i+1 while chunk i is sealed and stored. */
const PIPELINE_DEPTH = 2

/** Runs `lucid session ...`; `argv` starts with the subcommand. Returns the exit code. */
export async function sessionCommand(argv: string[], io: SessionIo = { out: process.stdout, err: process.stderr, env: process.env }): Promise<number> {
  const [sub, ...rest] = argv
  if (sub === '--help' || sub === '-h' || sub === 'help' || rest.includes('--help') || rest.includes('-h')) {
    io.out.write(`${HELP}\n`)
    return 0
  }
  try {
    if (sub === 'record') return await record(rest, io)
    if (sub === 'play') return await play(rest, io)
  } catch (err) {
    if (isLucidError(err) && (err.code.startsWith('LUCID_ERR_2') || err.code.startsWith('LUCID_ERR_5'))) {
      io.err.write(`lucid session ${sub ?? ''}: ${err.code} ${err.message}\n`)
      return 1
    }
    throw err
  }
  throw new errors.Usage(`lucid session record|play (got '${sub ?? ''}'; lucid session --help)`)
}

function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true } as const)
  } catch (err) {
    throw new errors.Usage(parseErrorMessage(err as Error & { code?: string }, 'session'))
  }
}

async function record(args: string[], io: SessionIo): Promise<number> {
  const { values, positionals } = parse(args, {
    frames: { type: 'string' },
    out: { type: 'string' },
    'chunk-size': { type: 'string' },
    codec: { type: 'string' },
    'keep-plaintext': { type: 'boolean' },
    anchor: { type: 'string' }
  })
  if (positionals.length > 0) throw new errors.Usage(`unexpected ${positionals.join(' ')}; ${USAGE}`)
  if (typeof values.frames !== 'string' || typeof values.out !== 'string') throw new errors.Usage(`record needs --frames and --out; ${USAGE}`)
  const frames = Number(values.frames)
  if (!Number.isSafeInteger(frames) || frames < 1) throw new errors.BadValue(`--frames ${values.frames} (a positive integer)`)
  const chunkSize = values['chunk-size'] === undefined ? DEFAULT_CHUNK : parseSize(String(values['chunk-size']))
  const codecName = (values.codec ?? 'zlib') as CodecName
  if (!CODEC_NAMES.includes(codecName)) throw new errors.BadValue(`--codec ${String(values.codec)} (zlib or pako)`)
  const anchorUrl = values.anchor === undefined ? undefined : httpUrl(values.anchor, '--anchor')
  const dir = values.out
  const store = new FsChunkStore(dir)
  if ((await store.getFile('recording.json')) !== undefined) throw new errors.BadValue(`--out ${dir}: already holds a recording`)
  try {
    await mkdir(dir, { recursive: true })
  } catch (err) {
    throw new errors.CannotWrite(`${dir} (${(err as Error).message})`)
  }
  const { key, source } = await loadMasterKey(join(dir, KEY_FILE), true, io.env)
  const db = await openRecordingDatabase(dir)
  try {
    return await recordInto(
      dir,
      store,
      db,
      key,
      source,
      { frames, chunkSize, codecName, keepPlaintext: values['keep-plaintext'] === true, ...(anchorUrl !== undefined ? { anchorUrl } : {}) },
      io
    )
  } finally {
    await db.close()
  }
}

interface RecordPlan {
  readonly frames: number
  readonly chunkSize: number
  readonly codecName: CodecName
  readonly keepPlaintext: boolean
  /** The gateway to anchor the finished recording at. */
  readonly anchorUrl?: URL
}

async function recordInto(
  dir: string,
  store: FsChunkStore,
  db: Database,
  key: Uint8Array,
  source: KeySource,
  plan: RecordPlan,
  io: SessionIo
): Promise<number> {
  const { frames, chunkSize, codecName } = plan
  const codec = createCodec(codecName)
  const t0 = performance.now()
  const recorder = await SessionRecorder.start({ store, db, masterKey: key, codec, userId: CLI_USER })
  const plain = plan.keepPlaintext ? createWriteStream(join(dir, 'plaintext.raw')) : undefined
  let stored = 0
  let compressed = 0
  try {
    const inFlight = new Set<Promise<ChunkReceipt>>()
    const push = async (chunk: Uint8Array): Promise<void> => {
      while (inFlight.size >= PIPELINE_DEPTH) await Promise.race(inFlight)
      const p = recorder.append(chunk)
      inFlight.add(p)
      p.then(
        (r) => {
          stored += r.size
          compressed += r.compressed_size
          inFlight.delete(p)
        },
        () => inFlight.delete(p)
      )
    }
    const rng = createRng(42)
    let buf = new Uint8Array(chunkSize)
    let fill = 0
    for (let f = 0; f < frames; f++) {
      const frame = renderFrame(rng)
      if (plain !== undefined) await write(plain, frame)
      for (let off = 0; off < frame.length; ) {
        const n = Math.min(frame.length - off, chunkSize - fill)
        buf.set(frame.subarray(off, off + n), fill)
        fill += n
        off += n
        if (fill === chunkSize) {
          await push(buf)
          buf = new Uint8Array(chunkSize)
          fill = 0
        }
      }
    }
    if (fill > 0) await push(buf.subarray(0, fill))
    await Promise.all(inFlight)
  } catch (err) {
    await recorder.abandon()
    throw err
  } finally {
    await codec.close()
    if (plain !== undefined) await new Promise<void>((resolve, reject) => plain.end((err?: Error | null) => (err ? reject(err) : resolve())))
  }
  const manifest = await recorder.finish()
  const seconds = (performance.now() - t0) / 1000
  const raw = manifest.chunks.reduce((s, c) => s + c.plaintext_size, 0)
  io.out.write(
    `recorded session ${manifest.session_id} in ${dir}: ${frames} frames, ${raw} bytes in ${manifest.chunk_count} chunks of ${chunkSize} bytes (${codecName}), ` +
      `compression_ratio ${(compressed / Math.max(1, raw)).toFixed(3)}, ${stored} bytes stored, ${(raw / 1e6 / seconds).toFixed(1)} MB/s\n`
  )
  io.out.write(`merkle_root ${manifest.merkle_root}\nmanifest_hash ${manifest.manifest_hash}\n`)
  io.out.write(`metadata: session and ${manifest.chunk_count} chunk documents in ${join(dir, METADATA_DIR)} (user ${CLI_USER}, finalised)\n`)
  io.out.write(`${describeKey(source)}\n`)
  if (plan.anchorUrl !== undefined) {
    const receipt = await submitAnchor(plan.anchorUrl, manifest.session_id, recordingAnchorText(manifest.manifest_hash, manifest.merkle_root))
    io.out.write(
      `anchored: data anchor ${receipt.tx_id} labelled ${manifest.session_id} (where it stands: ${new URL(receipt.status_url, plan.anchorUrl).href})\n`
    )
  }
  return 0
}

/** An http(s) URL from a flag; LUCID_ERR_9003 otherwise. */
function httpUrl(text: string, flag: string): URL {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new errors.BadValue(`${flag}: a URL, not ${text}`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new errors.BadValue(`${flag}: an http(s) URL, not ${text}`)
  return url
}

/** POST base/chain/anchor: a public data anchor of `dataHash` labelled `label`; LUCID_ERR_5004 unless 201. */
async function submitAnchor(base: URL, label: string, dataHash: string): Promise<{ tx_id: string; status_url: string }> {
  const url = new URL('chain/anchor', base.href.endsWith('/') ? base : `${base.href}/`)
  let res: Response
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      // No timestamp: the gateway stamps it with its own clock, which the chain's window is about (this
      // machine's clock may be off by more than the chain's skew).
      body: JSON.stringify({ session_id: label, data_hash: dataHash })
    })
  } catch (err) {
    throw new errors.ChainUnavailable(`${url.href}: ${(err as Error).message}`)
  }
  const text = await res.text()
  if (res.status !== 201) throw new errors.ChainUnavailable(`${url.href} answered ${res.status}: ${text.slice(0, 200)}`)
  return JSON.parse(text) as { tx_id: string; status_url: string }
}

/**
 * The chain at `where` (a gateway URL or an export file), every block, signature and certificate verified, and
 * the recording's anchor in it proven for this manifest: what SessionPlayer then holds the manifest to.
 * LUCID_ERR_2014 when the session has no anchor or the anchor is not this manifest's; 5xxx when the chain fails.
 */
async function provenAnchor(where: string, sessionId: string, manifest: { manifest_hash: string; merkle_root: string }): Promise<AnchoredManifest> {
  let chain: { genesis: Genesis; blocks: FinalBlock[] }
  if (/^https?:\/\//.test(where)) {
    chain = await fetchChain(httpUrl(where, '--anchor').href)
  } else {
    let doc: { genesis?: Genesis; blocks?: FinalBlock[] }
    try {
      doc = JSON.parse(await readFile(where, 'utf8')) as typeof doc
    } catch (err) {
      throw new errors.BadValue(`--anchor ${where}: not a readable chain export (${(err as Error).message})`)
    }
    if (doc.genesis === undefined || !Array.isArray(doc.blocks)) throw new errors.BadValue(`--anchor ${where}: not a chain export`)
    chain = { genesis: doc.genesis, blocks: doc.blocks }
  }
  replayLedgers(chain.genesis, chain.blocks, 1)
  const a = findRecordingAnchor(chain.blocks, sessionId)
  if (a === undefined)
    throw new errors.AnchorMismatch(`session ${JSON.stringify(sessionId)} is not anchored in the ${chain.blocks.length} final blocks of ${where}`)
  if (!proveRecordingAnchor(a, manifest.manifest_hash, manifest.merkle_root))
    throw new errors.AnchorMismatch(
      `the ${a.kind} anchor of session ${JSON.stringify(sessionId)} in block ${a.height} is not of this manifest (manifest_hash ${manifest.manifest_hash}, merkle_root ${manifest.merkle_root})`
    )
  return { manifest_hash: manifest.manifest_hash, merkle_root: manifest.merkle_root }
}

async function play(args: string[], io: SessionIo): Promise<number> {
  const { values, positionals } = parse(args, { out: { type: 'string' }, anchor: { type: 'string' } })
  if (positionals.length !== 1 || typeof values.out !== 'string') throw new errors.Usage(`play needs DIR and --out FILE; ${USAGE}`)
  const dir = positionals[0] as string
  const outFile = values.out
  const store = new FsChunkStore(dir)
  const { key } = await loadMasterKey(join(dir, KEY_FILE), false, io.env)
  const info = await readRecordingInfo(store) // LUCID_ERR_2011 when DIR holds no recording, before looking for its metadata
  let anchor: AnchoredManifest | undefined
  if (values.anchor !== undefined) {
    const raw = await store.getFile('manifest.json')
    if (raw === undefined) throw new errors.RecordingWrongState(`the recording in ${dir} has no manifest`)
    anchor = await provenAnchor(values.anchor, info.session_id, parseManifest(new TextDecoder().decode(raw)))
  }
  const metaDir = join(dir, METADATA_DIR)
  // Opening would create an empty database; a recording without one has lost its metadata.
  try {
    await access(metaDir)
  } catch {
    throw new errors.RecordingMetadataMismatch(`${metaDir}: the recording's metadata database is missing`)
  }
  const db = await openRecordingDatabase(dir)
  try {
    return await playFrom(store, db, key, outFile, io, anchor)
  } finally {
    await db.close()
  }
}

async function playFrom(store: FsChunkStore, db: Database, key: Uint8Array, outFile: string, io: SessionIo, anchor?: AnchoredManifest): Promise<number> {
  const player = await SessionPlayer.open({ store, db, masterKey: key, ...(anchor !== undefined ? { anchor } : {}) })
  let bytes: number
  try {
    bytes = await writeFileAtomic(outFile, player.chunks(), { permissions: 0o600 })
  } catch (err) {
    // A chunk that fails its checks is the player's error; the file system's (no such directory, no right to
    // write) is the output's.
    if (isLucidError(err) || typeof (err as NodeJS.ErrnoException).code !== 'string') throw err
    throw new errors.CannotWrite(`${outFile} (${(err as Error).message})`, { cause: err })
  }
  io.out.write(
    `played session ${player.manifest.session_id}: ${player.manifest.chunk_count} chunks verified (manifest MAC${anchor !== undefined ? ', chain anchor' : ''}, hash, Merkle proof, metadata, GCM tag), ${bytes} bytes written to ${outFile}\n`
  )
  return 0
}

/** Bytes from "10m", "512k", "10MiB", "1048576"; LUCID_ERR_9003 outside 1..MAX_CHUNK_BYTES. */
export function parseSize(text: string): number {
  const m = /^(\d+)\s*(k|kib|m|mib)?$/i.exec(text.trim())
  const unit = m?.[2]?.toLowerCase()
  const n = m?.[1] === undefined ? NaN : Number(m[1]) * (unit === undefined ? 1 : unit.startsWith('k') ? 1024 : 1024 * 1024)
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_CHUNK_BYTES)
    throw new errors.BadValue(`--chunk-size ${text} (1 byte to ${MAX_CHUNK_BYTES / 1024 / 1024} MiB, e.g. 10m or 512k)`)
  return n
}

function describeKey(s: KeySource): string {
  if (s.kind === 'env') return 'master key: from LUCID_MASTER_KEY'
  return `master key: ${s.created ? 'generated into' : 'read from'} ${s.path} (mode 0600; set LUCID_MASTER_KEY to keep keys apart from data)`
}

function write(stream: NodeJS.WritableStream, data: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => stream.write(data, (err) => (err ? reject(err) : resolve())))
}
