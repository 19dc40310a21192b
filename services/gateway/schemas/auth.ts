/**
 * The /auth routes' schemas (routes/auth.ts) and the types derived from them. The login body and the tokens
 * answered are shared with the admin login (common.ts).
 */
import { type Static, Type } from 'typebox'
import { Obj } from './common.ts'

/** A username as registration takes it. */
export const USERNAME = Type.String({ pattern: '^[A-Za-z0-9_.@-]{1,64}$' })
/** A TRON address, base58 (checked by the wallet code; bounded here). */
export const TRON_ADDRESS = Type.String({ minLength: 25, maxLength: 40 })

/** `POST /auth/register` */
export const REGISTER_BODY = Obj(
  {
    username: USERNAME,
    password: Type.String({ minLength: 8, maxLength: 1024 }),
    email: Type.Optional(Type.String({ pattern: '^[^\\s@\\u0000-\\u001f]{1,64}@[^\\s@\\u0000-\\u001f]{1,190}$' }))
  },
  { additionalProperties: false }
)
/** REGISTER_BODY as a TypeScript type. */
export type RegisterBody = Static<typeof REGISTER_BODY>

/** The answer to a registration. */
export const REGISTERED = Obj({ user_id: Type.String(), roles: Type.Array(Type.String()) })

/** `POST /auth/refresh` */
export const REFRESH_BODY = Obj({ refresh_token: Type.String({ minLength: 1, maxLength: 4096 }) }, { additionalProperties: false })
/** REFRESH_BODY as a TypeScript type. */
export type RefreshBody = Static<typeof REFRESH_BODY>

/** `POST /auth/wallet/challenge` */
export const CHALLENGE_BODY = Obj({ tron_address: TRON_ADDRESS }, { additionalProperties: false })
/** CHALLENGE_BODY as a TypeScript type. */
export type ChallengeBody = Static<typeof CHALLENGE_BODY>

/** A wallet challenge: the message to sign and until when. */
export const CHALLENGE = Obj({ tron_address: Type.String(), message: Type.String(), expires_at: Type.Integer({ description: 'ms since the epoch' }) })
/** CHALLENGE as a TypeScript type. */
export type ChallengeView = Static<typeof CHALLENGE>

/** `POST /auth/wallet/login` */
export const WALLET_LOGIN_BODY = Obj(
  {
    tron_address: TRON_ADDRESS,
    signature: Type.String({ pattern: '^(0x)?[0-9a-fA-F]{130}$' }),
    message: Type.String({ minLength: 1, maxLength: 1024 }),
    hardware_wallet: Type.Optional(Type.Boolean())
  },
  { additionalProperties: false }
)
/** WALLET_LOGIN_BODY as a TypeScript type. */
export type WalletLoginBody = Static<typeof WALLET_LOGIN_BODY>
