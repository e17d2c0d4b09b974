import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, ISessionContext } from '@jupyterlab/apputils';
import { PageConfig } from '@jupyterlab/coreutils';
import { INotebookTracker, NotebookActions, NotebookPanel } from '@jupyterlab/notebook';
import { LabIcon } from '@jupyterlab/ui-components';

import { MlopsPanel } from './panel';

const ICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="16"><g class="jp-icon3" fill="#616161">' +
  '<path d="M3 20h18v2H3zM5 10h3v8H5zm5-4h3v12h-3zm5 7h3v5h-3z"/></g></svg>';

export const mlopsIcon = new LabIcon({ name: 'mlops-jupyter:panel', svgstr: ICON_SVG });

/** Cells whose source runs one of our magics or the API: their end triggers a refresh. */
export const MAGIC_PATTERN = /%mlops|%%?validate|%drift|mlops_jupyter|\bmj\./;

const COMMAND_OPEN = 'mlops-jupyter:open-panel';

/** The absolute notebook path as the kernel should record it (server root + path). */
function absolutePath(path: string): string {
  const root = PageConfig.getOption('serverRoot');
  if (root && root.startsWith('/')) {
    return root.replace(/\/+$/, '') + '/' + path;
  }
  return path;
}

/** Python source that tells the kernel its notebook, silently and only if installed. */
export function setNotebookCode(path: string, cellIds: string[]): string {
  return (
    'try:\n' +
    `    __import__('mlops_jupyter').session.set_notebook(${JSON.stringify(path)}, ${JSON.stringify(cellIds)})\n` +
    'except Exception:\n' +
    '    pass\n'
  );
}

function tellKernel(panel: NotebookPanel): void {
  const kernel = panel.sessionContext.session?.kernel;
  if (!kernel) {
    return;
  }
  const cellIds: string[] = [];
  const cells = panel.content.model?.cells;
  if (cells) {
    for (let i = 0; i < cells.length; i++) {
      cellIds.push(cells.get(i).id);
    }
  }
  const code = setNotebookCode(absolutePath(panel.context.path), cellIds);
  try {
    kernel.requestExecute({ code, silent: true, store_history: false, allow_stdin: false });
  } catch (error) {
    console.warn('mlops-jupyter: cannot tell the kernel its notebook', error);
  }
}

/** Tell the kernel of ``panel`` its notebook now and after every (re)start or rename. */
function watchKernel(panel: NotebookPanel): void {
  const ctx: ISessionContext = panel.sessionContext;
  let pending = true;
  const onStatus = (_: ISessionContext, status: string) => {
    if (status === 'restarting' || status === 'starting' || status === 'autorestarting') {
      pending = true;
    } else if (status === 'idle' && pending) {
      pending = false;
      tellKernel(panel);
    }
  };
  ctx.statusChanged.connect(onStatus);
  ctx.kernelChanged.connect(() => {
    pending = true;
    if (ctx.session?.kernel?.status === 'idle') {
      pending = false;
      tellKernel(panel);
    }
  });
  panel.context.pathChanged.connect(() => tellKernel(panel));
  void ctx.ready.then(() => {
    if (pending && ctx.session?.kernel) {
      pending = false;
      tellKernel(panel);
    }
  });
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'mlops-jupyter:plugin',
  description: 'Side panel of mlops_jupyter: runs, data, checks and export beside the notebook.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ICommandPalette],
  activate: (app: JupyterFrontEnd, tracker: INotebookTracker, palette: ICommandPalette | null) => {
    const panel = new MlopsPanel();
    panel.title.icon = mlopsIcon;
    app.shell.add(panel, 'right', { rank: 900 });

    app.commands.addCommand(COMMAND_OPEN, {
      label: 'Show the ML DevOps panel',
      execute: () => app.shell.activateById(panel.id)
    });
    palette?.addItem({ command: COMMAND_OPEN, category: 'ML DevOps' });

    const follow = () => {
      const current = tracker.currentWidget;
      panel.setNotebook(current ? current.context.path : null);
    };
    tracker.currentChanged.connect(follow);
    tracker.widgetAdded.connect((_, nb) => {
      watchKernel(nb);
      nb.context.pathChanged.connect(() => {
        if (tracker.currentWidget === nb) {
          follow();
        }
      });
    });
    tracker.forEach(nb => watchKernel(nb));
    void app.restored.then(follow);

    NotebookActions.executed.connect((_, args) => {
      const source = args.cell.model.sharedModel.getSource();
      const nbPath = tracker.find(p => p.content === args.notebook)?.context.path;
      if (MAGIC_PATTERN.test(source) && nbPath === panel.notebookPath) {
        panel.scheduleRefresh();
      }
    });
  }
};

export default plugin;
