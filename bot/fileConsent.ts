/**
 * The Teams file consent flow for the request document and an administrator's case export: the
 * person accepted (or declined) the file consent card in their personal chat; on accept, the file is
 * uploaded to the URL Teams gave and a file info card points to it.
 */
import type { FileConsentCardResponse, TurnContext } from 'botbuilder';
import { documentFileName, requestDocument } from '../services/requests/document';
import type { FacilitatorRequest } from '../services/requests/types';
import type { Deps } from './handlers/types';
import { httpRequester } from './httpRequest';
import { idField, textField } from './handlers/types';
import { checkCaseReference } from '../services/rethink/validation';
import { caseExport, caseExportFileName, holdsNothing } from '../services/store/caseRecords';
import { unlessUnavailable, type Stored } from '../services/store/repository';
import { errorKind } from '../services/logging';
import { shortKey } from './shortKey';
import { asCardData } from './turn';
import { mayUploadTo } from './uploadTarget';

/** The upload to OneDrive: a whole document within 15 s. */
const uploadFile = httpRequester(15_000);

const mayHave = (r: FacilitatorRequest, context: TurnContext): boolean => {
  const { id, aadObjectId } = context.activity.from;
  const same = (p: { id: string; aadObjectId?: string } | undefined) => !!p && (p.id === id || (!!aadObjectId && p.aadObjectId === aadObjectId));
  return same(r.requester) || same(r.accepted?.by);
};

async function requestFor(context: TurnContext, response: FileConsentCardResponse, deps: Deps): Promise<Stored<FacilitatorRequest> | undefined> {
  const requestId = idField(asCardData(response.context), 'requestId');
  const r = requestId ? await deps.requests.get(requestId) : undefined;
  return r && mayHave(r, context) ? r : undefined;
}

/**
 * Which answer to a file offer this is: Teams sends a slow invoke again, and the same answer must
 * not upload or record twice.
 */
const answerOf = (context: TurnContext): string | undefined => (context.activity.id ? shortKey(context.activity.conversation.id, context.activity.id) : undefined);

const NOT_FOUND = 'Sorry, I can’t find that request any more, so there is nothing to save.';
/** An upload URL outside the configured hosts: refused before anything is built, noted, or sent. */
async function refuseUnknownPlace(context: TurnContext, deps: Deps, what: 'caseExport' | 'requestDocument', url: string): Promise<void> {
  // The host only: the rest of the address carries the upload session's token.
  deps.log.warn({ what, host: URL.canParse(url) ? new URL(url).hostname : 'not a URL' }, 'refused an upload to an address outside UPLOAD_HOSTS');
  const who = what === 'caseExport' ? 'whoever runs Re-think’s hosting for your partnership (the addresses it may save files to are set there)' : 'your partnership administrator';
  await context.sendActivity(`Sorry, nothing was saved: Teams gave a place to save it that Re-think doesn’t recognise as your OneDrive. Please try again; if this keeps happening, please tell ${who}.`);
}
const STORE_AWAY = 'Sorry, Re-think couldn’t reach its store just now, so the document wasn’t saved. Please try again in a moment.';

const answered = (r: FacilitatorRequest, answer: string | undefined): boolean => !!answer && r.audit.some((a) => a.ref === answer);

/**
 * Records the answer on the request, once (`already` when another delivery of it recorded it). The
 * write is conditional, so of two deliveries arriving together only one records it; and idempotent,
 * so a write whose answer was lost is known as this call's own.
 */
type Audited = { kind: 'recorded'; doc: Stored<FacilitatorRequest> } | { kind: 'already' | 'gone' };

async function audit(deps: Deps, r: Stored<FacilitatorRequest>, by: string, what: 'documentAccepted' | 'documentSent' | 'documentDeclined', now: Date, answer?: string): Promise<Audited> {
  const outcome = await deps.requests.update(
    r.id,
    (current) => (answered(current, answer) ? { ok: true, value: current, replay: true } : { ok: true, value: { ...current, audit: [...current.audit, { at: now.toISOString(), by, what, ...(answer ? { ref: answer } : {}) }], updatedAt: now.toISOString(), ttl: deps.profile.retentionDays * 86_400 } }),
    r,
    true,
  );
  if (outcome.kind !== 'updated') return { kind: 'gone' };
  return outcome.replay ? { kind: 'already' } : { kind: 'recorded', doc: outcome.doc };
}

/** Uploads the whole file in one PUT to the upload session Teams opened in the person's OneDrive. */
async function uploadBytes(url: string, bytes: Buffer) {
  // A reused connection the far end had just closed is sent again by the transport.
  return uploadFile('PUT', url, { bytes, headers: { 'content-range': `bytes 0-${bytes.length - 1}/${bytes.length}` } });
}

const fileInfo = (info: NonNullable<FileConsentCardResponse['uploadInfo']>, name: string, fileType: string) => ({
  attachments: [{ contentType: 'application/vnd.microsoft.teams.card.file.info', contentUrl: info.contentUrl, name: info.name ?? name, content: { uniqueId: info.uniqueId, fileType: info.fileType ?? fileType } }],
});

const isCaseExport = (response: FileConsentCardResponse): boolean => asCardData(response.context).kind === 'caseExport';

/** Built when accepted, so it holds what is there now; only for an administrator. */
async function acceptCaseExport(context: TurnContext, response: FileConsentCardResponse, deps: Deps, now: Date): Promise<void> {
  const aadObjectId = context.activity.from.aadObjectId;
  const reference = checkCaseReference(textField(asCardData(response.context), 'caseReference'), deps.profile, { recorded: true });
  const info = response.uploadInfo;
  if (!aadObjectId || !deps.administrators.includes(aadObjectId) || !reference.ok || !info?.uploadUrl) {
    await context.sendActivity('Sorry, that export can’t be made. Please ask again with **export case** and the case reference.');
    return;
  }
  if (!mayUploadTo(info.uploadUrl, deps.uploads)) return refuseUnknownPlace(context, deps, 'caseExport', info.uploadUrl);
  const holdings = await deps.caseRecords.find(reference.value);
  if (holdsNothing(holdings)) {
    await context.sendActivity(`Re-think holds nothing for case ${reference.value} now, so there is nothing to export.`);
    return;
  }
  // Noted before anything leaves, so every disclosure is on record (who, when, which ids); one note
  // per answer, so the same answer delivered again finds its note and exports nothing more.
  const note = await deps.caseRecords.startExport(holdings, { id: `export-${answerOf(context) ?? deps.newId()}`, by: context.activity.from.id, at: now.toISOString() });
  // Another delivery of this answer made (or is making) the export, and answers for it.
  if (!note) return;
  const put = await uploadBytes(info.uploadUrl, caseExport(holdings, context.activity.from.id, now));
  // Without an answer the upload may have landed: the note stays `started` rather than claim it failed.
  if (put) {
    await deps.caseRecords
      .finish(note, { state: put.ok ? 'done' : 'failed' })
      .catch(unlessUnavailable((error) => deps.log.warn({ err: errorKind(error), export: note.id }, 'could not mark a case export note finished')));
  }
  if (!put?.ok) {
    deps.log.warn({ status: put?.status ?? 0, export: note.id }, 'could not upload a case export');
    await context.sendActivity('Sorry, the export couldn’t be saved to your OneDrive just now. Please try again in a moment.');
    return;
  }
  deps.log.info({ export: note.id }, 'case exported');
  await context.sendActivity(fileInfo(info, caseExportFileName(reference.value), 'json'));
}

export async function acceptFile(context: TurnContext, response: FileConsentCardResponse, deps: Deps, now: Date): Promise<void> {
  if (isCaseExport(response)) return acceptCaseExport(context, response, deps, now);
  const r = await requestFor(context, response, deps);
  const upload = response.uploadInfo;
  if (!r || !upload?.uploadUrl) {
    await context.sendActivity(NOT_FOUND);
    return;
  }
  if (!mayUploadTo(upload.uploadUrl, deps.uploads)) return refuseUnknownPlace(context, deps, 'requestDocument', upload.uploadUrl);
  // Claimed before uploading: Teams sends a slow answer again while the first is still uploading.
  // That redelivery is answered by the first, so it says nothing.
  const claimed = await audit(deps, r, context.activity.from.id, 'documentAccepted', now, answerOf(context)).catch(unlessUnavailable(() => ({ kind: 'unavailable' as const })));
  if (claimed.kind === 'already') return;
  if (claimed.kind !== 'recorded') {
    await context.sendActivity(claimed.kind === 'gone' ? NOT_FOUND : STORE_AWAY);
    return;
  }
  const bytes = await requestDocument(r, deps.profile);
  const put = await uploadBytes(upload.uploadUrl, bytes);
  if (!put?.ok) {
    deps.log.warn({ status: put?.status ?? 0, request: r.id }, 'could not upload the request document');
    await context.sendActivity('Sorry, the document couldn’t be saved to your OneDrive just now. The request itself is unaffected. If you need a copy for your records, please ask your partnership administrator.');
    return;
  }
  await context.sendActivity(fileInfo(upload, documentFileName(r), 'docx'));
  // Written on the claim's version: no stale write to be refused first. The file is theirs whatever happens here.
  await audit(deps, claimed.doc, context.activity.from.id, 'documentSent', now).catch((error: unknown) => deps.log.warn({ err: errorKind(error), request: r.id }, 'sent the request document but could not note it'));
}

export async function declineFile(context: TurnContext, response: FileConsentCardResponse, deps: Deps, now: Date): Promise<void> {
  if (isCaseExport(response)) {
    await context.sendActivity('No problem: nothing has been exported.');
    return;
  }
  const r = await requestFor(context, response, deps);
  // A redelivery of the same answer: the first said so already.
  if (r && (await audit(deps, r, context.activity.from.id, 'documentDeclined', now, answerOf(context))).kind === 'already') return;
  await context.sendActivity('No problem: the document hasn’t been saved. The request itself is unaffected.');
}
