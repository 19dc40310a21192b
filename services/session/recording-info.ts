/**
 * recording.json: what a recording is, written when it starts, before any chunk and before its session
 * document. Resume and playback read it to know the session id (the key derivation and every envelope's AAD
 * depend on it), its user and the master key fingerprint. It holds no secret.
 */
import { errors } from '../common/errors.ts'
import { CODEC_NAMES, type CodecName } from './codec.ts'
import type { ChunkStore } from './store.ts'

/** The recording.json format tag. */
export const RECORDING_FORMAT = 'lucid-session-recording/1'

/** Contents of recording.json. */
export interface RecordingInfo {
  readonly format: typeof RECORDING_FORMAT
  readonly session_id: string
  /** The user the session belongs to (sessions.user_id): lets resume recreate the session document. */
  readonly user_id: string
  readonly owner_address: string
  readonly started_at: string
  readonly key_id: string
  readonly codec: CodecName
}

/** Writes recording.json (atomically, like every store write). */
export async function writeRecordingInfo(store: ChunkStore, info: RecordingInfo): Promise<void> {
  await store.putFile('recording.json', new TextEncoder().encode(JSON.stringify(info, null, 2) + '\n'))
}

/** Reads recording.json; LUCID_ERR_2011 when absent (no recording here), 2005 when malformed. */
export async function readRecordingInfo(store: ChunkStore): Promise<RecordingInfo> {
  const raw = await store.getFile('recording.json')
  if (raw === undefined) throw new errors.RecordingWrongState(`no recording in ${store.location} (recording.json missing)`)
  let v: Partial<Record<keyof RecordingInfo, unknown>>
  try {
    v = JSON.parse(new TextDecoder().decode(raw)) as typeof v
  } catch {
    throw new errors.ManifestIntegrityFailed('recording.json is not JSON')
  }
  if (
    v.format !== RECORDING_FORMAT ||
    typeof v.session_id !== 'string' ||
    typeof v.user_id !== 'string' ||
    typeof v.owner_address !== 'string' ||
    typeof v.started_at !== 'string' ||
    typeof v.key_id !== 'string' ||
    !CODEC_NAMES.includes(v.codec as CodecName)
  ) {
    throw new errors.ManifestIntegrityFailed('recording.json is malformed')
  }
  return v as RecordingInfo
}
