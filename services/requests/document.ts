/**
 * The request as a Word document, laid out like a partnership's paper form, for the requester's and
 * the partnership's records: every field of the form, with its label, and the Re-think history the
 * request rests on. Pure: the same request always gives the same document.
 */
import {
  AlignmentType,
  BorderStyle,
  Document,
  Footer,
  Header,
  HeadingLevel,
  NoBreakHyphen,
  Packer,
  PageNumber,
  Paragraph,
  ShadingType,
  Table,
  TableCell,
  TableLayoutType,
  TableRow,
  TextRun,
  WidthType,
} from 'docx';
import { REQUEST_STATUS_LABELS } from '../../cards/requestText';
import { OUTCOME_LABELS, nextStepLabels } from '../../cards/wording';
import type { PartnershipProfile } from '../profile/types';
import { formatUkDate } from '../rethink/validation';
import { labelOf } from './form';
import { fileNamePart, LONE_SURROGATE } from '../text';
import type { FacilitatorRequest, HistoryEntry } from './types';

const DOCUMENT_TITLE = 'Request for an independent facilitator (Re-think strategy 3)';
const RECORD_REMINDER = 'Pseudonymous case reference only. Each agency’s case system remains the record.';
const NO_HISTORY = 'No strategy 1 or 2 Re-think that the requester took part in is recorded.';

const FONT = 'Arial';
/** Half-points. */
const BODY = 20;
const SMALL = 16;
const GREY = '595959';
const LABEL_FILL = 'F2F2F2';
const HEADER_FILL = 'D9E2F3';

/** A4 with 2 cm margins, in twentieths of a point. */
const PAGE = { width: 11906, height: 16838, margin: 1134 };
const CONTENT_WIDTH = PAGE.width - 2 * PAGE.margin;
const LABEL_WIDTH = Math.round(CONTENT_WIDTH * 0.36);
const FIELD_COLUMNS = [LABEL_WIDTH, CONTENT_WIDTH - LABEL_WIDTH];
/** Date, strategy, outcome, agencies, agreed actions. */
const HISTORY_SHARES = [0.15, 0.13, 0.19, 0.19];
const HISTORY_COLUMNS = [...HISTORY_SHARES.map((s) => Math.round(CONTENT_WIDTH * s))];
HISTORY_COLUMNS.push(CONTENT_WIDTH - HISTORY_COLUMNS.reduce((a, b) => a + b, 0));

const line = { style: BorderStyle.SINGLE, size: 4, color: '8C8C8C' };
const borders = { top: line, bottom: line, left: line, right: line, insideHorizontal: line, insideVertical: line };
const cellMargins = { top: 70, bottom: 70, left: 110, right: 110 };

/** Text as typed, with its line breaks kept. */
const clean = (text: string): string => text.replace(/\r\n?/g, '\n').replace(/\t/g, ' ');

/**
 * What XML (so a Word file) cannot hold: control characters and noncharacters. docx writes them as
 * they are and Word then refuses the whole file; text from before they were refused as typed, or a
 * name Teams gave, may hold them. Every run leaves them out (and half a surrogate pair, which would
 * otherwise reach the reader as "�").
 */
const NOT_XML = new RegExp(`[\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\uFDD0-\\uFDEF\\uFFFE\\uFFFF]|${LONE_SURROGATE.source}`, 'g');

interface RunStyle {
  /** Our own wording: "Re-think" is never broken at its hyphen. */
  fixed?: boolean;
  bold?: boolean;
  italics?: boolean;
  size?: number;
  color?: string;
}

const unbroken = (text: string): (string | NoBreakHyphen)[] => text.split(/(?<=Re)-(?=think)/).flatMap((part, i) => (i === 0 ? [part] : [new NoBreakHyphen(), part]));

const run = (raw: string, style: RunStyle = {}): TextRun => {
  const text = raw.replace(NOT_XML, '');
  return new TextRun({ ...(style.fixed ? { children: unbroken(text) } : { text }), font: FONT, size: style.size ?? BODY, bold: style.bold ?? false, italics: style.italics ?? false, ...(style.color ? { color: style.color } : {}) });
};

/** One paragraph per typed line, so line breaks in what people typed are kept. */
const lines = (text: string, style: RunStyle = {}, after = 0): Paragraph[] => {
  const typed = clean(text).trim();
  const shown = typed === '' ? 'Not given' : typed;
  return shown.split('\n').map((l) => new Paragraph({ spacing: { after }, children: [run(l, typed === '' ? { ...style, italics: true, color: GREY } : style)] }));
};

const cell = (children: Paragraph[], width: number, fill?: string): TableCell =>
  new TableCell({
    width: { size: width, type: WidthType.DXA },
    margins: cellMargins,
    ...(fill ? { shading: { type: ShadingType.CLEAR, color: 'auto', fill } } : {}),
    children,
  });

const table = (columns: readonly number[], rows: TableRow[]): Table =>
  new Table({
    width: { size: CONTENT_WIDTH, type: WidthType.DXA },
    columnWidths: [...columns],
    layout: TableLayoutType.FIXED,
    borders,
    rows,
  });

type Field = readonly [label: string, value: string];

/** Label | value rows, like the boxes of a paper form. */
const fields = (rows: readonly Field[]): Table =>
  table(
    FIELD_COLUMNS,
    rows.map(([label, value]) => new TableRow({ cantSplit: value.length < 400, children: [cell(lines(label, { bold: true, fixed: true }), LABEL_WIDTH, LABEL_FILL), cell(lines(value), CONTENT_WIDTH - LABEL_WIDTH)] })),
  );

const heading = (text: string): Paragraph => new Paragraph({ heading: HeadingLevel.HEADING_2, keepNext: true, children: [run(text, { bold: true, size: 26, fixed: true })] });
const gap = (): Paragraph => new Paragraph({ spacing: { after: 0 }, children: [run('', { size: 8 })] });

function historyTable(profile: PartnershipProfile, history: readonly HistoryEntry[]): Table {
  const [dateW = 0, strategyW = 0, outcomeW = 0, agenciesW = 0, actionsW = 0] = HISTORY_COLUMNS;
  const header = new TableRow({
    tableHeader: true,
    cantSplit: true,
    children: (
      [
        ['Date', dateW],
        ['Strategy', strategyW],
        ['Outcome', outcomeW],
        ['Agencies', agenciesW],
        ['Agreed actions', actionsW],
      ] as const
    ).map(([text, width]) => cell(lines(text, { bold: true, fixed: true }), width, HEADER_FILL)),
  });
  const steps = nextStepLabels(profile);
  const rows = history.map((h) => {
    const outcome = h.outcome ? (OUTCOME_LABELS[h.outcome] ?? h.outcome) : h.status === 'open' ? 'Still open' : 'Not recorded';
    const next = h.nextStep ? steps[h.nextStep] : undefined;
    const actions = h.actions.length
      ? h.actions.flatMap((a, i) => [
          new Paragraph({ spacing: { before: i === 0 ? 0 : 100 }, children: [run(clean(a.description))] }),
          new Paragraph({ children: [run(`${clean(a.owner)}, by ${formatUkDate(a.dueDate)}`, { size: 18, color: GREY })] }),
        ])
      : lines('None agreed', { italics: true, color: GREY });
    return new TableRow({
      cantSplit: true,
      children: [
        cell(lines(formatUkDate(h.date)), dateW),
        cell(lines(h.strategy ? `Strategy ${h.strategy}` : 'Not chosen'), strategyW),
        cell([...lines(outcome), ...(next ? lines(`Next: ${next}`, { size: 18, color: GREY }) : [])], outcomeW),
        cell(lines(h.agencies.map(clean).join(', ') || 'Not recorded'), agenciesW),
        cell(actions, actionsW),
      ],
    });
  });
  return table(HISTORY_COLUMNS, [header, ...rows]);
}

function progress(r: FacilitatorRequest, profile: PartnershipProfile): Field[] {
  const rows: Field[] = [];
  if (r.accepted) rows.push(['Accepted by', `${r.accepted.by.name}, on ${formatUkDate(r.accepted.at)}`]);
  if (r.schedule) {
    const format = labelOf(profile.requestForm.formats, r.schedule.format) || r.schedule.format;
    rows.push(['Meeting scheduled for', `${formatUkDate(r.schedule.date)} at ${r.schedule.time} (${format})`]);
    if (r.schedule.where) rows.push(['Where, or how to join', r.schedule.where]);
  }
  if (r.completedAt) rows.push(['Completed', formatUkDate(r.completedAt)]);
  if (r.withdrawal) {
    rows.push(['Withdrawn', formatUkDate(r.withdrawal.at)]);
    rows.push(['Reason for withdrawing', r.withdrawal.reason]);
  }
  return rows;
}

export async function requestDocument(request: FacilitatorRequest, profile: PartnershipProfile): Promise<Buffer> {
  const r = request;
  const f = r.form;
  const options = profile.requestForm;
  const done = progress(r, profile);
  const doc = new Document({
    creator: 'Re-think',
    title: `${DOCUMENT_TITLE}: ${r.caseReference}`,
    description: RECORD_REMINDER,
    styles: {
      default: {
        document: { run: { font: FONT, size: BODY }, paragraph: { spacing: { after: 0, line: 264 } } },
        title: { run: { font: FONT, size: 34, bold: true, color: '1F3864' }, paragraph: { spacing: { after: 80 } } },
        heading2: { run: { font: FONT, size: 26, bold: true, color: '1F3864' }, paragraph: { spacing: { before: 320, after: 120 }, keepNext: true } },
      },
    },
    sections: [
      {
        properties: { page: { size: { width: PAGE.width, height: PAGE.height }, margin: { top: PAGE.margin, bottom: PAGE.margin, left: PAGE.margin, right: PAGE.margin, header: 567, footer: 567 } } },
        headers: {
          default: new Header({ children: [new Paragraph({ alignment: AlignmentType.RIGHT, children: [run(`${profile.partnership.shortName} · Re-think request · ${r.caseReference}`, { size: SMALL, color: GREY, fixed: true })] })] }),
        },
        footers: {
          default: new Footer({
            children: [
              new Paragraph({ alignment: AlignmentType.CENTER, children: [run(RECORD_REMINDER, { size: SMALL, italics: true, color: GREY, fixed: true })] }),
              new Paragraph({ alignment: AlignmentType.CENTER, children: [new TextRun({ font: FONT, size: SMALL, color: GREY, children: ['Page ', PageNumber.CURRENT, ' of ', PageNumber.TOTAL_PAGES] })] }),
            ],
          }),
        },
        children: [
          new Paragraph({ heading: HeadingLevel.TITLE, children: [run(DOCUMENT_TITLE, { bold: true, size: 34, color: '1F3864', fixed: true })] }),
          new Paragraph({ spacing: { after: 200 }, children: [run(profile.partnership.name, { size: 24, color: GREY })] }),
          fields([
            ['Case reference', r.caseReference],
            // The cards' words, so the document and Teams say the same thing.
            ['Status', REQUEST_STATUS_LABELS[r.status] ?? r.status],
            ['Submitted', formatUkDate(r.submittedAt)],
          ]),
          heading('Requester'),
          fields([
            ['Name', r.requester.name],
            ['Role', f.requesterRole],
            ['Agency', f.requesterAgency],
            ['Contact (work email or phone)', f.requesterContact],
            ['Line manager', f.lineManagerName],
            ['Does the line manager agree with this request?', labelOf(options.managerAgrees, f.managerAgrees)],
          ]),
          heading('Lead professional'),
          fields([
            ['Name', f.leadProfessionalName],
            ['Agency', f.leadProfessionalAgency],
          ]),
          heading('The case'),
          fields([
            ['Case reference', r.caseReference],
            ['Tier of need', labelOf(profile.tiersOfNeed, f.tierOfNeed)],
            ['Type of plan', labelOf(options.planTypes, f.planType)],
            ['Agencies and professionals involved', f.network],
          ]),
          heading('The concern'),
          fields([
            ['What the concern is about', labelOf(profile.concernCategories, f.concernCategory)],
            ['Summary of the concern', f.concernSummary],
          ]),
          heading('What has been tried'),
          ...(r.history.length
            ? [new Paragraph({ keepNext: true, spacing: { after: 120 }, children: [run('Earlier Re-thinks of this case that the requester took part in.', { color: GREY, fixed: true })] }), historyTable(profile, r.history)]
            : [new Paragraph({ spacing: { after: 60 }, children: [run(NO_HISTORY, { italics: true, fixed: true })] })]),
          gap(),
          ...(f.triedInstead.trim() || r.history.length === 0 ? [fields([['What has been tried instead (dates and outcomes)', f.triedInstead]])] : []),
          heading('The meeting'),
          fields([
            ['How urgent is this?', labelOf(options.urgencies, f.urgency)],
            ['Preferred format', labelOf(options.formats, f.preferredFormat)],
            ['When the requester and the network are available', f.availability],
            ['Is the family aware of the Re-think?', labelOf(options.familyAware, f.familyAware)],
          ]),
          ...(done.length ? [heading('Progress'), fields(done)] : []),
        ],
      },
    ],
  });
  return Packer.toBuffer(doc);
}

/** e.g. "Re-think request PSCP-2026-0042.docx": only characters every file system accepts. */
export const documentFileName = (request: FacilitatorRequest): string => {
  const reference = fileNamePart(request.caseReference);
  return reference ? `Re-think request ${reference}.docx` : 'Re-think request.docx';
};
