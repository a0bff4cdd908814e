import { TeamsActivityHandler, TurnContext, type AdaptiveCardInvokeResponse, type AdaptiveCardInvokeValue, type FileConsentCardResponse } from 'botbuilder';
import { renderWelcomeCard, welcomeCardData } from '../cards/welcome';
import { errorKind, stackFrames, type Logger } from '../services/logging';
import { StoreUnavailableError } from '../services/store/repository';
import type { PersonRecord } from '../services/store/people';
import type { Deliveries } from './deliveries';
import { cardActivity } from './connectorClient';
import { acceptFile, declineFile } from './fileConsent';
import { facilitatorChannelGone, offerWaitingOnInstall } from './handlers/admin';
import { meetingEnded } from './handlers/meeting';
import { membersLeft } from './handlers/members';
import { reachAcceptorOnInstall } from './handlers/requests';
import { ADMINISTRATOR_COMMANDS, MESSAGES, type CardData, type Deps, type Handler, type HandlerResult, type TurnInput } from './handlers/types';
import { respondToInvoke, respondToMessage } from './respond';
import { cardActionFor, commandFor, readOnly } from './router';
import { asCardData, teamOf, tenantOf, turnInput, typedText } from './turn';
import { whoIs } from '../services/store/pool';
import type { ConnectorClient } from './connectorClient';

export interface BotOptions {
  readonly clock: () => Date;
  readonly deliveries: Deliveries;
  /** The app's own Bot Connector client, for look-ups a turn waits on. */
  readonly connector: ConnectorClient;
}

/** When Teams says the activity happened (its clock, the same for an install and a removal); ours if it doesn't say. */
function teamsTime(context: TurnContext, now: Date): string {
  const stamp = context.activity.timestamp ? new Date(context.activity.timestamp) : undefined;
  return stamp && !Number.isNaN(stamp.getTime()) ? stamp.toISOString() : now.toISOString();
}

/**
 * Logs what went wrong in a turn, by kind and stack frames only: true when it was the store being
 * away (nothing was saved, and trying again later will do), false for anything unexpected.
 */
function logFailure(log: Logger, error: unknown): boolean {
  if (error instanceof StoreUnavailableError) {
    log.warn({ err: errorKind(error) }, 'store unavailable: nothing saved');
    return true;
  }
  log.error({ err: errorKind(error), stack: stackFrames(error) }, 'turn failed');
  return false;
}

/** Kept small on purpose: it finds the handler and hands the result to `respond`. */
export class RethinkBot extends TeamsActivityHandler {
  constructor(
    private readonly deps: Deps,
    private readonly options: BotOptions,
  ) {
    super();
    this.onMessage(async (context, next) => {
      await this.message(context);
      await next();
    });
    // Not onTeamsMeetingEndEvent: it checks fields of the event Re-think doesn't use (a meeting with no
    // title fails it, and the turn with it), where the meeting is known by its chat alone.
    this.on('TeamsMeetingEnd', async (context, next) => {
      const result = await this.execute(meetingEnded, context, {}, 'meetingEnd');
      await respondToMessage(context, result, this.deps.log, this.options.deliveries);
      await next();
    });
    this.onMembersRemoved(async (context, next) => {
      // People, not the bot itself (its own removal is the installation update below), from a group
      // chat or a team (Teams says so in its General channel; the handler looks in all its channels).
      const memberIds = (context.activity.membersRemoved ?? []).map((m) => m.id).filter((id) => id && id !== context.activity.recipient?.id);
      const fromTeam = context.activity.conversation.conversationType === 'channel' && teamOf(context) !== undefined;
      // A failure leaves the 14-day rule to free the Re-think.
      if (memberIds.length > 0 && (context.activity.conversation.conversationType === 'groupChat' || fromTeam)) await this.unasked(membersLeft, context, { memberIds }, 'membersLeft');
      await next();
    });
    // The facilitator channel gone: deleted, its team archived or deleted (removed from the team: below).
    this.onTeamsChannelDeletedEvent(async (channel, _team, context, next) => {
      await this.unasked(facilitatorChannelGone, context, { why: 'channelDeleted', channelId: channel.id ?? '' }, 'facilitatorChannelGone');
      await next();
    });
    for (const on of [this.onTeamsTeamArchivedEvent, this.onTeamsTeamDeletedEvent]) {
      on.call(this, async (team, context, next) => {
        await this.unasked(facilitatorChannelGone, context, { why: 'teamGone', teamId: team.id ?? '' }, 'facilitatorChannelGone');
        await next();
      });
    }
    this.onInstallationUpdateAdd(async (context, next) => {
      await this.installed(context);
      await next();
    });
    this.onInstallationUpdateRemove(async (context, next) => {
      await this.removed(context);
      await next();
    });
  }

  /** Activities from a tenant outside the allow-list are ignored before anything is read or written. */
  override async run(context: TurnContext): Promise<void> {
    const allowed = this.deps.allowedTenantIds;
    if (allowed && !allowed.includes(tenantOf(context) ?? '')) {
      this.deps.log.warn({ type: context.activity.type, tenant: tenantOf(context) }, 'ignored an activity from a tenant that is not allowed');
      return;
    }
    // Teams always says who sent an activity; one that doesn't can't be answered or recorded.
    if (!context.activity.from?.id) {
      this.deps.log.warn({ type: context.activity.type }, 'ignored an activity with no sender');
      return;
    }
    await super.run(context);
  }

  protected override async onAdaptiveCardInvoke(context: TurnContext, value: AdaptiveCardInvokeValue): Promise<AdaptiveCardInvokeResponse> {
    const verb = typeof value.action?.verb === 'string' ? value.action.verb : '';
    const result = await this.execute(cardActionFor(verb), context, asCardData(value.action?.data), verb);
    return respondToInvoke(context, result, this.deps.log, this.options.deliveries);
  }

  protected override async handleTeamsFileConsentAccept(context: TurnContext, response: FileConsentCardResponse): Promise<void> {
    await this.fileAnswer(context, 'fileConsentAccept', () => acceptFile(context, response, this.deps, this.options.clock()));
  }

  protected override async handleTeamsFileConsentDecline(context: TurnContext, response: FileConsentCardResponse): Promise<void> {
    await this.fileAnswer(context, 'fileConsentDecline', () => declineFile(context, response, this.deps, this.options.clock()));
  }

  /** An answer to a file offer always gets a reply, even when the store or something else fails. */
  private async fileAnswer(context: TurnContext, verb: string, answer: () => Promise<void>): Promise<void> {
    try {
      await answer();
    } catch (error) {
      await context.sendActivity(logFailure(this.deps.log.child({ verb }), error) ? MESSAGES.fileStoreUnavailable : MESSAGES.fileUnexpected);
    }
  }

  private async message(context: TurnContext): Promise<void> {
    const { activity } = context;
    // Typed messages only: a button pressed (Action.Submit) costs no read for this.
    if (activity.text) this.notePersonalChat(context);
    const value = asCardData(activity.value);
    // Action.Submit arrives as a message carrying the card's data and no text.
    if (!activity.text && typeof activity.value === 'object' && activity.value !== null) {
      const verb = typeof value.verb === 'string' ? value.verb : '';
      const result = await this.execute(cardActionFor(verb), context, value, verb || 'submit');
      await respondToMessage(context, result, this.deps.log, this.options.deliveries);
      return;
    }
    const command = commandFor(typedText(activity));
    const administrator = activity.conversation.conversationType === 'personal' && !!activity.from.aadObjectId && this.deps.administrators.includes(activity.from.aadObjectId);
    // The command's own name in the log (never what followed it), so a refused one can be traced.
    // A file or picture sent to it (the manifest lets Teams offer files, for the documents Re-think sends).
    const sentFile = (activity.attachments ?? []).some((a) => typeof a.contentType === 'string' && !a.contentType.startsWith('text/html'));
    const notCommand = sentFile ? MESSAGES.filesNotTaken : MESSAGES.unknownCommand;
    const result = command ? await this.execute(command.handler, context, { ...value, argument: command.argument }, command.name) : { notice: administrator ? `${notCommand} ${ADMINISTRATOR_COMMANDS}` : notCommand };
    await respondToMessage(context, result, this.deps.log, this.options.deliveries);
  }

  private inputOf(context: TurnContext, data: CardData = {}): TurnInput {
    return turnInput(context, data, this.options.clock(), this.options.connector);
  }

  private async execute(handler: Handler | undefined, context: TurnContext, data: CardData, verb: string): Promise<HandlerResult> {
    if (!handler) return { notice: MESSAGES.unknownAction };
    const input = this.inputOf(context, data);
    const log = this.deps.log.child({ verb, conversationKind: input.where.conversationKind, activityId: input.activityId });
    try {
      const result = await handler(input, { ...this.deps, log });
      log.debug('handled');
      return result;
    } catch (error) {
      const storeAway = logFailure(log, error);
      if (readOnly.has(handler)) return { notice: storeAway ? MESSAGES.storeUnreachable : MESSAGES.unexpectedShowing };
      return { notice: storeAway ? MESSAGES.storeUnavailable : MESSAGES.unexpected };
    }
  }

  /**
   * Re-think removed from someone's personal chat: lists, forms and requests are no longer sent
   * there, where they would be lost; the person is asked to add it again instead.
   */
  private async removed(context: TurnContext): Promise<void> {
    // Removed by the person ('remove-upgrade' is the bot removed by a new version of the app).
    if (context.activity.action !== 'remove') return;
    const input = this.inputOf(context);
    // Removed from a team: if the facilitator channel is in it, requests can no longer reach it.
    if (input.where.conversationKind === 'channel') {
      await this.unasked(facilitatorChannelGone, context, { why: 'removed', teamId: input.teamId ?? input.where.conversationId }, 'facilitatorChannelGone');
      return;
    }
    if (input.where.conversationKind !== 'personal' || !input.actor.aadObjectId) return;
    try {
      const forgot = await this.deps.people.forgetPersonalChat(input.actor.aadObjectId, input.address.conversationId, teamsTime(context, input.now), input.now, input.actor.id);
      if (forgot) await this.tellAdministratorsIfFacilitator(input.actor.aadObjectId);
    } catch (error) {
      this.deps.log.warn({ err: errorKind(error) }, 'could not forget a personal chat the app was removed from');
    }
  }

  /**
   * A Teams event nobody in the chat asked for: only what the handler posts and the card it updates
   * are sent; a failure is logged, never apologised for in the chat.
   */
  private async unasked(handler: Handler, context: TurnContext, data: CardData, verb: string): Promise<void> {
    const { posts, shared, otherCards } = await this.execute(handler, context, data, verb);
    await respondToMessage(context, { ...(posts ? { posts } : {}), ...(shared ? { shared } : {}), ...(otherCards ? { otherCards } : {}) }, this.deps.log, this.options.deliveries);
  }

  /** A named facilitator can no longer be reached: the administrators, who set up the pool, are told. */
  private async tellAdministratorsIfFacilitator(aadObjectId: string): Promise<void> {
    const named = (await this.deps.pool.get())?.facilitators.find((f) => f.aadObjectId === aadObjectId);
    if (!named) return;
    const text = `A named facilitator, ${named.name ? whoIs(named) : `Entra object id ${aadObjectId}`}, has removed Re-think from their personal chat, so new requests for an independent facilitator can’t reach them until they add it again. Type **facilitators** to see who can be reached.`;
    for (const id of this.deps.administrators) {
      const chat = (await this.deps.people.get(id))?.personalConversation;
      if (chat) {
        this.options.deliveries.elsewhere(chat, 'tell the administrators', async (there) => {
          await there.sendActivity(text);
        });
      }
    }
  }

  /**
   * Someone writing in their personal chat whose record doesn't name it (the install event's save
   * was lost, say): it is noted now, and what adding the app would have sent them is sent. After the
   * answer: one point read.
   */
  private notePersonalChat(context: TurnContext): void {
    const input = this.inputOf(context);
    const aadObjectId = input.actor.aadObjectId;
    if (input.where.conversationKind !== 'personal' || !aadObjectId) return;
    const since = teamsTime(context, input.now);
    this.deps.later('note the personal chat', async () => {
      const person = await this.deps.people.get(aadObjectId);
      // Noted already, at the service URL Teams uses for it now.
      const noted = person?.personalConversation;
      if (noted?.conversationId === input.address.conversationId && noted.serviceUrl === input.address.serviceUrl) return;
      await this.arrivedPersonally(input, since, person);
    });
  }

  /**
   * Their personal chat is where to reach them from now on; requests waiting on that are sent. Not
   * when what says so was sent before the app was removed from it (an install event or message
   * handled late): that chat is gone. `person`: their record, if already read.
   */
  private async arrivedPersonally(input: TurnInput, since: string, person?: PersonRecord): Promise<void> {
    if (!input.actor.aadObjectId) return;
    const known = person ?? (await this.deps.people.get(input.actor.aadObjectId));
    if (known?.personalConversationRemovedAt && since <= known.personalConversationRemovedAt) return;
    await this.deps.people.remember(input.actor.aadObjectId, { personalConversation: input.address, personalConversationSince: since }, input.now, input.actor.id);
    // Queries across requests: after the welcome, not before it.
    this.deps.later('requests accepted before the app was added', () => reachAcceptorOnInstall(this.deps, input));
    this.deps.later('requests waiting for a named facilitator', () => offerWaitingOnInstall(input, this.deps));
  }

  /** Captures where to reach this conversation later, and says hello. */
  private async installed(context: TurnContext): Promise<void> {
    const input = this.inputOf(context);
    const address = input.address;
    try {
      await this.deps.conversations.save(address, input.actor.aadObjectId, input.now);
      if (input.where.conversationKind === 'personal') await this.arrivedPersonally(input, teamsTime(context, input.now));
    } catch (error) {
      this.deps.log.warn({ err: errorKind(error) }, 'could not save the conversation reference on install');
    }
    // An upgrade of an installed app is not a new arrival: no second welcome.
    if (context.activity.action === 'add-upgrade') return;
    await context.sendActivity(cardActivity(renderWelcomeCard(welcomeCardData(this.deps.profile))));
  }
}
