/**
 * The Teams file consent flow for the request document: the person accepted (or declined) the file
 * consent card in their personal chat; on accept, the document is uploaded to the URL Teams gave and
 * a file info card points to it.
 */
import type { FileConsentCardResponse, TurnContext } from 'botbuilder';
import { documentFileName, requestDocument } from '../services/requests/document';
import type { FacilitatorRequest } from '../services/requests/types';
import type { Deps } from './handlers/types';
import { httpRequester } from './httpRequest';
import { idField } from './handlers/types';
import { asCardData } from './turn';

/** The upload to OneDrive: a whole document within 15 s. */
const uploadFile = httpRequester(15_000);

const mayHave = (r: FacilitatorRequest, context: TurnContext): boolean => {
  const { id, aadObjectId } = context.activity.from;
  const same = (p: { id: string; aadObjectId?: string } | undefined) => !!p && (p.id === id || (!!aadObjectId && p.aadObjectId === aadObjectId));
  return same(r.requester) || same(r.accepted?.by);
};

async function requestFor(context: TurnContext, response: FileConsentCardResponse, deps: Deps): Promise<FacilitatorRequest | undefined> {
  const requestId = idField(asCardData(response.context), 'requestId');
  const r = requestId ? await deps.requests.get(requestId) : undefined;
  return r && mayHave(r, context) ? r : undefined;
}

async function audit(deps: Deps, r: FacilitatorRequest, by: string, what: 'documentSent' | 'documentDeclined', now: Date): Promise<void> {
  await deps.requests.update(r.id, (current) => ({ ok: true, value: { ...current, audit: [...current.audit, { at: now.toISOString(), by, what }], updatedAt: now.toISOString() } }));
}

export async function acceptFile(context: TurnContext, response: FileConsentCardResponse, deps: Deps, now: Date): Promise<void> {
  const r = await requestFor(context, response, deps);
  const upload = response.uploadInfo;
  if (!r || !upload?.uploadUrl) {
    await context.sendActivity('Sorry, I can’t find that request any more, so there is nothing to save.');
    return;
  }
  const bytes = await requestDocument(r, deps.profile);
  // One PUT of the whole file to the upload session Teams opened in the person's OneDrive (a reused
  // connection the far end had just closed is sent again by the transport).
  const range = `bytes 0-${bytes.length - 1}/${bytes.length}`;
  const put = await uploadFile('PUT', upload.uploadUrl, { bytes, headers: { 'content-range': range } });
  if (!put?.ok) {
    deps.log.warn({ status: put?.status ?? 0, request: r.id }, 'could not upload the request document');
    await context.sendActivity('Sorry, the document couldn’t be saved to your OneDrive just now. The request itself is unaffected. If you need a copy for your records, please ask your partnership administrator.');
    return;
  }
  await context.sendActivity({
    attachments: [
      {
        contentType: 'application/vnd.microsoft.teams.card.file.info',
        contentUrl: upload.contentUrl,
        name: upload.name ?? documentFileName(r),
        content: { uniqueId: upload.uniqueId, fileType: upload.fileType ?? 'docx' },
      },
    ],
  });
  await audit(deps, r, context.activity.from.id, 'documentSent', now);
}

export async function declineFile(context: TurnContext, response: FileConsentCardResponse, deps: Deps, now: Date): Promise<void> {
  const r = await requestFor(context, response, deps);
  if (r) await audit(deps, r, context.activity.from.id, 'documentDeclined', now);
  await context.sendActivity('No problem: the document hasn’t been saved. The request itself is unaffected.');
}
