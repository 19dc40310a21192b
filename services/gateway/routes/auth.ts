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
import type { GatewayContext } from '../context.ts'
import { addressKey } from '../rate-limit.ts'
import { type GatewayApp, LOGIN_BODY, TOKENS, responses } from '../schemas/common.ts'
import { CHALLENGE, CHALLENGE_BODY, REFRESH_BODY, REGISTER_BODY, REGISTERED, WALLET_LOGIN_BODY } from '../schemas/auth.ts'

/** Registers the /auth routes. */
export async function authRoutes(app: GatewayApp, ctx: GatewayContext): Promise<void> {
  // Every /auth route counts per client address whatever token it carries (rate-limit.ts).
  const config = { tier: 'auth' as const }
  app.post(
    '/auth/register',
    {
      config,
      schema: {
        tags: ['auth'],
        summary: 'Create a password account (role User)',
        body: REGISTER_BODY,
        response: responses({ 201: REGISTERED })
      }
    },
    async (req, reply) => {
      const u = await ctx.accounts.register(req.body.username, req.body.password, req.body.email, addressKey(req.ip))
      return reply.code(201).send({ user_id: u.user_id, roles: u.roles })
    }
  )

  app.post(
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

  app.post(
    '/auth/refresh',
    {
      config,
      schema: {
        tags: ['auth'],
        summary: 'Exchange a refresh token (single use) for a new pair',
        body: REFRESH_BODY,
        response: responses({ 200: TOKENS })
      }
    },
    async (req) => {
      const { sub, ticket } = await ctx.tokens.consumeRefresh(req.body.refresh_token)
      const u = await ctx.accounts.activeUser(sub)
      return await ctx.tokens.issue(u.user_id, u.roles, ticket)
    }
  )

  app.post(
    '/auth/wallet/challenge',
    {
      config,
      schema: {
        tags: ['auth'],
        summary: 'A single-use message for a TRON wallet to sign',
        body: CHALLENGE_BODY,
        response: responses({ 200: CHALLENGE })
      }
    },
    async (req) => ctx.challenges.issue(req.body.tron_address)
  )

  app.post(
    '/auth/wallet/login',
    {
      config,
      schema: {
        tags: ['auth'],
        summary: 'Wallet login: the challenge message signed TRON-style (signMessageV2)',
        body: WALLET_LOGIN_BODY,
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
