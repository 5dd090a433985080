/*
 * bulle's airlock in JupyterLab.
 *
 * - "Request export…" on files of the file browser (context menu): a dialog
 *   asks for the justification and, per file, its kind (and the counts file
 *   of a statistics table), then sends the request to the bubble's airlock
 *   extension (POST bulle/airlock/requests), which passes it to the hub. The
 *   hub's answer is shown as is: the request with each file's automated
 *   verdict, or the refusal's sentence.
 * - "Export requests" (command palette and file menu): the member's requests
 *   in this project with their status, linking to the hub's Airlock page,
 *   where released files are downloaded.
 *
 * The download and export plugins of JupyterLab are disabled by the bubbles'
 * page configuration (extensions/jupyter-config/labconfig/page_config.json),
 * and the server refuses /files/, /view/ and /nbconvert/ anyway.
 */
import { Dialog, ICommandPalette, MainAreaWidget, showDialog, showErrorMessage } from '@jupyterlab/apputils';
import { PageConfig, URLExt } from '@jupyterlab/coreutils';
import { IFileBrowserFactory } from '@jupyterlab/filebrowser';
import { ServerConnection } from '@jupyterlab/services';
import { Widget } from '@lumino/widgets';

const OUTBOX = 'outbox/';
const KINDS = ['frequency', 'statistics', 'model', 'figure', 'text'];
const COMMAND_REQUEST = 'bulle-airlock:request-export';
const COMMAND_LIST = 'bulle-airlock:open-requests';

async function callAirlock(path, init = {}) {
  const settings = ServerConnection.makeSettings();
  const url = URLExt.join(settings.baseUrl, 'bulle/airlock', path);
  const response = await ServerConnection.makeRequest(url, init, settings);
  let body = {};
  try {
    body = await response.json();
  } catch (error) {
    body = { message: response.statusText };
  }
  return { status: response.status, body };
}

function hubLink(requestId) {
  const prefix = PageConfig.getOption('hubPrefix') || '/hub/';
  const host = PageConfig.getOption('hubHost') || '';
  return `${host}${prefix}airlock/requests/${encodeURIComponent(requestId)}`;
}

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    node.setAttribute(name, value);
  }
  for (const child of children) {
    node.append(child);
  }
  return node;
}

function suggestedKind(path) {
  const name = path.toLowerCase();
  if (/\.(png|jpe?g)$/.test(name)) return 'figure';
  if (/\.(txt|md)$/.test(name)) return 'text';
  if (/\.html$/.test(name)) return 'model';
  return 'frequency';
}

/** The dialog's body: one line per file (kind, counts file) and the justification. */
class RequestForm extends Widget {
  constructor(paths, outboxFiles) {
    super({ node: element('form', { class: 'bulle-airlock-form' }) });
    this.paths = paths;
    this.node.append(
      element(
        'p',
        { class: 'bulle-airlock-note' },
        'The hub reads these files from outbox/ as they are now, runs the disclosure checks and ' +
          'sends them to output checkers. A file changed afterwards cannot be released.'
      )
    );
    for (const path of paths) {
      const kind = element('select', { name: `kind:${path}`, 'aria-label': `kind of ${path}` });
      for (const option of KINDS) {
        kind.append(element('option', { value: option }, option));
      }
      kind.value = suggestedKind(path);
      const counts = element('select', { name: `counts:${path}`, 'aria-label': `counts file of ${path}` });
      counts.append(element('option', { value: '' }, 'no counts file'));
      for (const other of outboxFiles.filter(p => p !== path)) {
        counts.append(element('option', { value: other }, other));
      }
      counts.hidden = kind.value !== 'statistics';
      kind.addEventListener('change', () => {
        counts.hidden = kind.value !== 'statistics';
      });
      this.node.append(element('div', { class: 'bulle-airlock-file' }, element('code', {}, path), kind, counts));
    }
    this.node.append(
      element('label', { for: 'bulle-airlock-justification' }, 'Why should these outputs leave the bubble?'),
      element('textarea', { id: 'bulle-airlock-justification', name: 'justification', required: 'required' })
    );
  }

  getValue() {
    const form = this.node;
    return {
      justification: form.querySelector('textarea[name="justification"]').value,
      files: this.paths.map(path => {
        const kind = form.querySelector(`select[name="kind:${CSS.escape(path)}"]`).value;
        const counts = form.querySelector(`select[name="counts:${CSS.escape(path)}"]`).value;
        return kind === 'statistics' && counts ? { path, kind, counts } : { path, kind };
      })
    };
  }
}

function describeRequest(request) {
  const lines = [
    element('p', {}, `Request ${request.id} is waiting for an output checker.`),
    element(
      'ul',
      {},
      ...request.files.map(f => element('li', {}, element('code', {}, f.path), ` ${f.kind}: automated checks say ${f.verdict}`))
    ),
    element(
      'p',
      {},
      'Follow it, and download what is released, on the hub: ',
      element('a', { href: hubLink(request.id), target: '_blank', class: 'bulle-airlock-hub-link' }, 'Airlock')
    )
  ];
  const node = element('div', { class: 'bulle-airlock-submitted', 'data-request': request.id }, ...lines);
  return new Widget({ node });
}

async function requestExport(paths) {
  const outside = paths.filter(p => !p.startsWith(OUTBOX));
  if (outside.length) {
    await showErrorMessage(
      'Only files in outbox/ can be exported',
      `Move ${outside.join(', ')} into the outbox/ folder of your workspace first.`
    );
    return;
  }
  const listing = await callAirlock('outbox');
  const outboxFiles = listing.status === 200 ? listing.body.files.map(f => f.path) : [];
  const inside = paths.map(p => p.slice(OUTBOX.length));
  const result = await showDialog({
    title: 'Request export',
    body: new RequestForm(inside, outboxFiles),
    buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Request export' })]
  });
  if (!result.button.accept) {
    return;
  }
  const sent = await callAirlock('requests', { method: 'POST', body: JSON.stringify(result.value) });
  if (sent.status === 201) {
    await showDialog({ title: 'Export requested', body: describeRequest(sent.body), buttons: [Dialog.okButton()] });
  } else {
    await showErrorMessage('Export refused', sent.body.message || `The airlock answered ${sent.status}.`);
  }
}

/** The member's requests in this project, newest first. */
class RequestsPanel extends Widget {
  constructor() {
    super({ node: element('div', { class: 'bulle-airlock-panel' }) });
    this.id = 'bulle-airlock-requests';
    this.title.label = 'Export requests';
    this.title.closable = true;
  }

  async refresh() {
    const answer = await callAirlock('requests');
    this.node.replaceChildren();
    if (answer.status !== 200) {
      this.node.append(element('p', {}, answer.body.message || `The airlock answered ${answer.status}.`));
      return;
    }
    const rows = answer.body.requests.map(r =>
      element(
        'tr',
        { 'data-request': r.id, 'data-status': r.status },
        element('td', {}, element('a', { href: hubLink(r.id), target: '_blank' }, r.id)),
        element('td', {}, r.created),
        element('td', {}, r.files.map(f => `${f.path} (${f.verdict}, ${f.outcome})`).join(', ')),
        element('td', {}, r.status)
      )
    );
    this.node.append(
      element('p', {}, 'Released files are downloaded from the hub\'s Airlock page.'),
      element(
        'table',
        {},
        element('tr', {}, ...['Request', 'Made (UTC)', 'Files', 'Status'].map(h => element('th', {}, h))),
        ...rows
      )
    );
  }
}

const plugin = {
  id: '@bulle/jupyterlab-airlock:plugin',
  description: 'Request exports through the airlock.',
  autoStart: true,
  requires: [IFileBrowserFactory],
  optional: [ICommandPalette],
  activate: (app, factory, palette) => {
    app.commands.addCommand(COMMAND_REQUEST, {
      label: 'Request export…',
      caption: 'Ask output checkers to release these outbox files',
      execute: () => {
        const browser = factory.tracker.currentWidget;
        if (!browser) return;
        const paths = Array.from(browser.selectedItems())
          .filter(item => item.type !== 'directory')
          .map(item => item.path);
        return requestExport(paths);
      }
    });
    app.contextMenu.addItem({
      command: COMMAND_REQUEST,
      selector: '.jp-DirListing-item[data-isdir="false"]',
      rank: 9
    });
    app.commands.addCommand(COMMAND_LIST, {
      label: 'Export requests',
      caption: 'Your export requests in this project and their status',
      execute: async () => {
        const panel = new RequestsPanel();
        const widget = new MainAreaWidget({ content: panel });
        widget.id = 'bulle-airlock-requests-main';
        widget.title.label = 'Export requests';
        app.shell.add(widget, 'main');
        await panel.refresh();
      }
    });
    if (palette) {
      palette.addItem({ command: COMMAND_REQUEST, category: 'Airlock' });
      palette.addItem({ command: COMMAND_LIST, category: 'Airlock' });
    }
  }
};

export default plugin;
