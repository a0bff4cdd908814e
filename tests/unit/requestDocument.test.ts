import JSZip from 'jszip';
import { renderRequestCard, requestCardData } from '../../cards/request';
import { OUTCOME_LABELS } from '../../cards/wording';
import { DEFAULT_PROFILE_PATH } from '../../services/config';
import { loadProfile } from '../../services/profile/load';
import { caseExportFileName } from '../../services/store/caseRecords';
import { documentFileName, requestDocument } from '../../services/requests/document';
import type { FacilitatorRequest, HistoryEntry, RequestForm } from '../../services/requests/types';

const profile = loadProfile(DEFAULT_PROFILE_PATH);

const address = { conversationId: 'a:personal-chat', serviceUrl: 'http://127.0.0.1:9/', tenantId: 'tenant-1', botId: 'bot-1', conversationKind: 'personal' };

const FORM: RequestForm = {
  requesterRole: 'Senior Family Support Worker',
  requesterAgency: 'Portsmouth Early Help Hub',
  requesterContact: 'family.support@ehh.example.gov.uk',
  lineManagerName: 'Morgan Teal-Whitby',
  managerAgrees: 'notAsked',
  leadProfessionalName: 'Priya Quennell',
  leadProfessionalAgency: 'Harbourside Primary School',
  tierOfNeed: 'specialist',
  planType: 'childLookedAfter',
  network: 'Class teacher, Harbourside Primary School\nHealth visitor, Solent NHS Trust',
  concernCategory: 'informationSharing',
  concernSummary: 'Health & school attendance records differ <significantly> and neither agency’s plan reflects both.',
  triedInstead: 'A professionals meeting on 4 March 2026 that did not settle the disagreement.',
  urgency: 'urgent',
  preferredFormat: 'faceToFace',
  availability: 'Tuesday afternoons and Thursday mornings in April',
  familyAware: 'notYet',
};

const HISTORY: HistoryEntry[] = [
  {
    rethinkId: 'rt-1',
    strategy: 1,
    date: '2026-01-14',
    status: 'closed',
    outcome: 'partlyResolved',
    nextStep: 'nextStrategy',
    agencies: ['Early Help', 'Harbourside Primary School'],
    actions: [{ description: 'Share the weekly attendance log with the lead professional', owner: 'Sam Okafor', dueDate: '2026-02-06' }],
  },
  {
    rethinkId: 'rt-2',
    strategy: 2,
    date: '2026-02-20',
    status: 'closed',
    outcome: 'notResolved',
    nextStep: 'nextStrategy',
    agencies: ['Health visiting', 'Children’s social care'],
    actions: [
      { description: 'Ask the GP surgery for the immunisation record', owner: 'Lee Marchetti', dueDate: '2026-03-03' },
      { description: 'Book a joint home visit', owner: 'Ruth Abernethy', dueDate: '2026-03-12' },
    ],
  },
];

function makeRequest(overrides: Partial<FacilitatorRequest> = {}): FacilitatorRequest {
  return {
    id: 'req-42',
    type: 'request',
    tenantId: 'tenant-1',
    caseReference: 'PSCP-2026-0042',
    status: 'scheduled',
    requester: { id: 'user-1', name: 'Alex Rowntree', aadObjectId: 'aad-1' },
    requestedIn: address,
    form: FORM,
    history: HISTORY,
    network: [],
    submittedAt: '2026-02-27T09:30:00.000Z',
    accepted: { by: { id: 'user-9', name: 'Jordan Fairweather' }, at: '2026-03-02T10:15:00.000Z' },
    declines: [],
    questions: [],
    schedule: { date: '2026-03-10', time: '14:30', format: 'virtual', by: 'user-9', at: '2026-03-02T10:20:00.000Z' },
    revision: 3,
    cards: [],
    outbox: [],
    appliedActivityIds: [],
    audit: [],
    updatedAt: '2026-03-02T10:20:00.000Z',
    ttl: 60 * 60 * 24 * 365,
    ...overrides,
  };
}

const decode = (s: string): string =>
  s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');

/** A paragraph's text: its runs joined as Word shows them (a non-breaking hyphen reads as a hyphen). */
const paragraphText = (xml: string): string =>
  decode([...xml.matchAll(/<w:t(?:\s[^>]*)?>([^<]*)<\/w:t>|<w:noBreakHyphen\/>/g)].map((m) => (m[0] === '<w:noBreakHyphen/>' ? '-' : (m[1] ?? ''))).join(''));
const paragraphsOf = (xml: string): string[] => [...xml.matchAll(/<w:p[ >][\s\S]*?<\/w:p>/g)].map((m) => paragraphText(m[0]));

interface Parsed {
  /** Every paragraph, one a line. */
  text: string;
  /** Each table row as its cells' text (a cell's paragraphs joined by new lines). */
  rows: string[][];
  /** The headers' and footers' text. */
  margins: string;
  xml: string;
}

async function parse(bytes: Buffer): Promise<Parsed> {
  const zip = await JSZip.loadAsync(bytes);
  const xml = (await zip.file('word/document.xml')?.async('string')) ?? '';
  const rows = [...xml.matchAll(/<w:tr[ >][\s\S]*?<\/w:tr>/g)].map((row) => [...row[0].matchAll(/<w:tc>[\s\S]*?<\/w:tc>/g)].map((c) => paragraphsOf(c[0]).join('\n')));
  const marginFiles = Object.keys(zip.files).filter((name) => /^word\/(header|footer)\d*\.xml$/.test(name));
  const margins = (await Promise.all(marginFiles.map(async (name) => paragraphsOf((await zip.file(name)?.async('string')) ?? '').join('\n')))).join('\n');
  return { text: paragraphsOf(xml).join('\n'), rows, margins, xml };
}

/** No character XML forbids, and every element closed in order: what Word needs to open the file. */
const isWellFormed = (xml: string): boolean => {
  const forbidden = [...xml].some((ch) => {
    const code = ch.codePointAt(0) ?? 0;
    return (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) || code === 0xfffe || code === 0xffff;
  });
  const open: string[] = [];
  for (const [, closing, name, selfClosing] of xml.matchAll(/<(\/?)([A-Za-z][\w:.-]*)(?:\s[^>]*?)?(\/?)>/g)) {
    if (selfClosing) continue;
    if (!closing) open.push(name ?? '');
    else if (open.pop() !== name) return false;
  }
  return !forbidden && open.length === 0 && xml.includes('<w:body>');
};

/** The value in the label | value row for `label`, if there is one. */
const valueOf = (doc: Parsed, label: string): string | undefined => doc.rows.find((r) => r.length === 2 && r[0] === label)?.[1];

describe('the request document', () => {
  let doc: Parsed;
  beforeAll(async () => {
    const bytes = await requestDocument(makeRequest(), profile);
    expect(bytes.subarray(0, 2).toString()).toBe('PK');
    doc = await parse(bytes);
  });

  test('is a well-formed Word document with the title, the partnership, the case and where the request is', () => {
    expect(isWellFormed(doc.xml)).toBe(true);
    expect(doc.text).toContain('Request for an independent facilitator (Re-think strategy 3)');
    expect(doc.text).toContain('Portsmouth Safeguarding Children Partnership');
    expect(valueOf(doc, 'Case reference')).toBe('PSCP-2026-0042');
    expect(valueOf(doc, 'Status')).toBe('Meeting scheduled');
    expect(valueOf(doc, 'Submitted')).toBe('27 February 2026');
  });

  test('says where the request is in the same words as its cards in Teams, whatever its status', async () => {
    const statuses = ['submitted', 'accepted', 'scheduled', 'completed', 'withdrawn'] as const;
    const said = await Promise.all(statuses.map(async (status) => valueOf(await parse(await requestDocument(makeRequest({ status }), profile)), 'Status')));
    expect(said).toEqual(['Submitted: waiting for an independent facilitator', 'Accepted', 'Meeting scheduled', 'Completed', 'Withdrawn']);
    for (const [i, status] of statuses.entries()) {
      const r = makeRequest({ status });
      expect(requestCardData(profile, r, 'requester').statusLabel).toBe(said[i]);
      expect(JSON.stringify(renderRequestCard(profile, r, 'requester'))).toContain(JSON.stringify(said[i]));
    }
  });

  test('every form field appears with its label, and every choice as its label rather than its id', () => {
    const expected: [keyof RequestForm | 'requester', string, string][] = [
      ['requester', 'Name', 'Alex Rowntree'],
      ['requesterRole', 'Role', FORM.requesterRole],
      ['requesterAgency', 'Agency', FORM.requesterAgency],
      ['requesterContact', 'Contact (work email or phone)', FORM.requesterContact],
      ['lineManagerName', 'Line manager', FORM.lineManagerName],
      ['managerAgrees', 'Does the line manager agree with this request?', 'Not asked yet'],
      ['leadProfessionalName', 'Name', FORM.leadProfessionalName],
      ['leadProfessionalAgency', 'Agency', FORM.leadProfessionalAgency],
      ['tierOfNeed', 'Tier of need', 'Specialist / statutory'],
      ['planType', 'Type of plan', 'Child looked after'],
      ['network', 'Agencies and professionals involved', FORM.network],
      ['concernCategory', 'What the concern is about', 'Information sharing'],
      ['concernSummary', 'Summary of the concern', FORM.concernSummary],
      ['triedInstead', 'What has been tried instead (dates and outcomes)', FORM.triedInstead],
      ['urgency', 'How urgent is this?', 'Urgent: within five working days'],
      ['preferredFormat', 'Preferred format', 'Face to face'],
      ['availability', 'When the requester and the network are available', FORM.availability],
      ['familyAware', 'Is the family aware of the Re-think?', 'Not yet: they will be told'],
    ];
    // Each of the form's fields is checked, so a field added to the form must be added here too.
    expect(new Set(expected.map(([field]) => field))).toEqual(new Set(['requester', ...Object.keys(FORM)]));
    for (const [, label, value] of expected) {
      expect(doc.rows).toContainEqual([label, value]);
    }
    for (const id of ['notAsked', 'childLookedAfter', 'informationSharing', 'faceToFace', 'notYet']) {
      expect(doc.text).not.toContain(id);
    }
  });

  test('the sections come in the paper form’s order', () => {
    const headings = ['Requester', 'Lead professional', 'The case', 'The concern', 'What has been tried', 'The meeting', 'Progress'];
    const lines = doc.text.split('\n');
    const at = headings.map((h) => lines.indexOf(h));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  });

  test('what has been tried lists each earlier Re-think with its date, strategy, outcome, agencies and actions', () => {
    expect(doc.rows).toContainEqual(['Date', 'Strategy', 'Outcome', 'Agencies', 'Agreed actions']);
    const first = doc.rows.find((r) => r[0] === '14 January 2026');
    expect(first).toEqual([
      '14 January 2026',
      'Strategy 1',
      `${OUTCOME_LABELS.partlyResolved}\nNext: Move to the next strategy`,
      'Early Help, Harbourside Primary School',
      'Share the weekly attendance log with the lead professional\nSam Okafor, by 6 February 2026',
    ]);
    const second = doc.rows.find((r) => r[0] === '20 February 2026');
    expect(second?.slice(1, 4)).toEqual(['Strategy 2', `${OUTCOME_LABELS.notResolved}\nNext: Move to the next strategy`, 'Health visiting, Children’s social care']);
    expect(second?.[4]).toBe('Ask the GP surgery for the immunisation record\nLee Marchetti, by 3 March 2026\nBook a joint home visit\nRuth Abernethy, by 12 March 2026');
    expect(doc.text).not.toContain('No strategy 1 or 2 Re-think that the requester took part in is recorded');
  });

  test('the progress shows who accepted it and when the meeting is', () => {
    expect(valueOf(doc, 'Accepted by')).toBe('Jordan Fairweather, on 2 March 2026');
    expect(valueOf(doc, 'Meeting scheduled for')).toBe('10 March 2026 at 14:30 (Virtual, in Teams)');
    expect(valueOf(doc, 'Withdrawn')).toBeUndefined();
  });

  test('every page reminds the reader that the case reference is pseudonymous and the agencies’ systems are the record', () => {
    expect(doc.margins).toContain('Pseudonymous case reference only. Each agency’s case system remains the record.');
    expect(doc.margins).toContain('PSCP-2026-0042');
  });
});

describe('a request with no earlier Re-thinks', () => {
  test('says so, and shows what was tried instead; with no progress yet, there is no progress section', async () => {
    const doc = await parse(await requestDocument(makeRequest({ status: 'submitted', history: [], accepted: undefined, schedule: undefined }), profile));
    expect(doc.text).toContain('No strategy 1 or 2 Re-think that the requester took part in is recorded.');
    expect(valueOf(doc, 'What has been tried instead (dates and outcomes)')).toBe(FORM.triedInstead);
    expect(doc.rows).not.toContainEqual(['Date', 'Strategy', 'Outcome', 'Agencies', 'Agreed actions']);
    expect(valueOf(doc, 'Status')).toBe('Submitted: waiting for an independent facilitator');
    expect(doc.text.split('\n')).not.toContain('Progress');
  });

  test('a withdrawn request shows when and why, and text Word cannot hold is dropped rather than breaking the file', async () => {
    // Noncharacters too: docx writes those as they are, and Word refuses the file (half a surrogate pair is left out as well).
    const form = { ...FORM, availability: 'Mornings\u0007 only\u0000\uFFFF', triedInstead: '' };
    const bytes = await requestDocument(makeRequest({ status: 'withdrawn', history: [], form, accepted: undefined, schedule: undefined, withdrawal: { reason: 'The family moved out of the area.\uFFFE\uD83D', at: '2026-03-05T16:00:00.000Z' } }), profile);
    const doc = await parse(bytes);
    expect(isWellFormed(doc.xml)).toBe(true);
    expect(valueOf(doc, 'When the requester and the network are available')).toBe('Mornings only');
    expect(valueOf(doc, 'What has been tried instead (dates and outcomes)')).toBe('Not given');
    expect(valueOf(doc, 'Withdrawn')).toBe('5 March 2026');
    expect(valueOf(doc, 'Reason for withdrawing')).toBe('The family moved out of the area.');
    expect(valueOf(doc, 'Status')).toBe('Withdrawn');
  });
});

describe('the document’s file name', () => {
  test('names the case reference', () => {
    expect(documentFileName(makeRequest())).toBe('Re-think request PSCP-2026-0042.docx');
  });

  test('keeps only characters every file system accepts', () => {
    const name = documentFileName(makeRequest({ caseReference: 'PSCP/2026:0042<>"\\|?*' }));
    expect(name).toBe('Re-think request PSCP-2026-0042.docx');
    // A partnership's slashes are separators, not folders.
    expect(documentFileName(makeRequest({ caseReference: 'EDN/26/01234' }))).toBe('Re-think request EDN-26-01234.docx');
    expect(caseExportFileName('EDN/26/01234')).toBe('Re-think case EDN-26-01234.json');
    expect(documentFileName(makeRequest({ caseReference: '../..' }))).toBe('Re-think request.docx');
    expect(name).toMatch(/^[A-Za-z0-9 .-]+$/);
  });
});
