/**
 * Which class order labels the images: `--classes` if given, else the model's own
 * (`cnnpipe.classes` metadata) when the folder names are its classes, else the sorted
 * folder names. Sorted folder names are ImageFolder's convention, but a model trained with
 * another order (the zoo's: Fashion-MNIST's label order) would then be scored against the
 * wrong labels without any sign, so a mismatch with the model's classes is warned about.
 */
export interface ClassOrderChoice {
  classes: string[];
  /** One line for the user when the folder names are not the model's classes. */
  warning?: string;
}

export function chooseClassOrder(folders: string[], modelClasses: string[] | undefined, modelName: string): ClassOrderChoice {
  if (!modelClasses || folders.length === 0) return { classes: folders };
  const known = new Set(modelClasses);
  const foreign = folders.filter((c) => !known.has(c));
  if (foreign.length === 0) return { classes: modelClasses };
  const shown = foreign.slice(0, 3).join(', ') + (foreign.length > 3 ? `, ... (${foreign.length})` : '');
  return {
    classes: folders,
    warning:
      `class folder(s) ${shown} are not among ${modelName}'s classes (its cnnpipe.classes metadata: ${modelClasses.slice(0, 4).join(', ')}${modelClasses.length > 4 ? ', ...' : ''}); ` +
      'labels follow the sorted folder names, which need not be the model\'s output order: give --classes to fix it',
  };
}
