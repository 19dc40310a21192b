/**
 * Password and wallet login, registration and token refresh (all public, rate limited as public).
 *
 *   POST /auth/register          {username, password, email?}            -> 201 {user_id, roles}
 *   POST /auth/login             {username, password}                    -> 200 tokens
 *   POST /auth/refresh           {refresh_token}                         -> 200 tokens (the old refresh token is spent)
 *   POST /auth/wallet/challenge  {tron_address}                          -> 200 {tron_address, message, expires_at}
 *   POST /auth/wallet/login      {tron_address, signature, message, hardware_wallet?} -> 200 tokens
 */
import { clientGone } from '../client-gone.ts'
import type { FastifyInstance } from 'fastify'
import type { GatewayContext } from '../context.ts'
import { addressKey } from '../rate-limit.ts'
import { LOGIN_BODY, TOKENS, responses } from '../schemas.ts'

const USERNAME = { type: 'string', pattern: '^[A-Za-z0-9_.@-]{1,64}$' } as const
const TRON_ADDRESS = { type: 'string', minLength: 25, maxLength: 40 } as const

interface LoginBody {
  username: string
  password: string
}
interface RegisterBody {
  username: string
  password: string
  email?: string
}
interface RefreshBody {
  refresh_token: string
}
interface ChallengeBody {
  tron_address: string
}
interface WalletLoginBody {
  tron_address: string
  signature: string
  message: string
  hardware_wallet?: boolean
}

/** Registers the /auth routes. */
export async function authRoutes(app: FastifyInstance, ctx: GatewayContext): Promise<void> {
  // Every /auth route counts per client address whatever token it carries (rate-limit.ts).
  const config = { tier: 'auth' as const }
  app.post<{ Body: RegisterBody }>(
    '/auth/register',
    {
      config,
      schema: {
        tags: ['auth'],
        summary: 'Create a password account (role User)',
        body: {
          type: 'object',
          properties: {
            username: USERNAME,
            password: { type: 'string', minLength: 8, maxLength: 1024 },
            email: { type: 'string', pattern: '^[^\\s@\\u0000-\\u001f]{1,64}@[^\\s@\\u0000-\\u001f]{1,190}$' }
          },
          required: ['username', 'password'],
          additionalProperties: false
        },
        response: responses({
          201: {
            type: 'object',
            properties: { user_id: { type: 'string' }, roles: { type: 'array', items: { type: 'string' } } },
            required: ['user_id', 'roles']
          }
        })
      }
    },
    async (req, reply) => {
      const u = await ctx.accounts.register(req.body.username, req.body.password, req.body.email, addressKey(req.ip))
      return reply.code(201).send({ user_id: u.user_id, roles: u.roles })
    }
  )

  app.post<{ Body: LoginBody }>(
    '/auth/login',
    {
      config,
      schema: { tags: ['auth'], summary: 'Password login (scrypt); answers token and access_token', body: LOGIN_BODY, response: responses({ 200: TOKENS }) }
    },
    async (req, reply) => {
      const u = await ctx.accounts.checkPassword(req.body.username, req.body.password, clientGone(reply), addressKey(req.ip))
      return await ctx.tokens.issue(u.user_id, u.roles)
    }
  )

  app.post<{ Body: RefreshBody }>(
    '/auth/refresh',
    {
      config,
      schema: {
        tags: ['auth'],
        summary: 'Exchange a refresh token (single use) for a new pair',
        body: {
          type: 'object',
          properties: { refresh_token: { type: 'string', minLength: 1, maxLength: 4096 } },
          required: ['refresh_token'],
          additionalProperties: false
        },
        response: responses({ 200: TOKENS })
      }
    },
    async (req) => {
      const { sub, ticket } = await ctx.tokens.consumeRefresh(req.body.refresh_token)
      const u = await ctx.accounts.activeUser(sub)
      return await ctx.tokens.issue(u.user_id, u.roles, ticket)
    }
  )

  app.post<{ Body: ChallengeBody }>(
    '/auth/wallet/challenge',
    {
      config,
      schema: {
        tags: ['auth'],
        summary: 'A single-use message for a TRON wallet to sign',
        body: { type: 'object', properties: { tron_address: TRON_ADDRESS }, required: ['tron_address'], additionalProperties: false },
        response: responses({
          200: {
            type: 'object',
            properties: { tron_address: { type: 'string' }, message: { type: 'string' }, expires_at: { type: 'integer', description: 'ms since the epoch' } },
            required: ['tron_address', 'message', 'expires_at']
          }
        })
      }
    },
    async (req) => ctx.challenges.issue(req.body.tron_address)
  )

  app.post<{ Body: WalletLoginBody }>(
    '/auth/wallet/login',
    {
      config,
      schema: {
        tags: ['auth'],
        summary: 'Wallet login: the challenge message signed TRON-style (signMessageV2)',
        body: {
          type: 'object',
          properties: {
            tron_address: TRON_ADDRESS,
            signature: { type: 'string', pattern: '^(0x)?[0-9a-fA-F]{130}$' },
            message: { type: 'string', minLength: 1, maxLength: 1024 },
            hardware_wallet: { type: 'boolean' }
          },
          required: ['tron_address', 'signature', 'message'],
          additionalProperties: false
        },
        response: responses({ 200: TOKENS })
      }
    },
    async (req) => {
      ctx.challenges.verify(req.body.tron_address, req.body.message, req.body.signature)
      const u = await ctx.accounts.walletUser(req.body.tron_address, addressKey(req.ip))
      return await ctx.tokens.issue(u.user_id, u.roles)
    }
  )
}
