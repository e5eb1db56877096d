/** Saves text as a file through a download link (the host returns the text; the user picks where it goes). */
export function saveTextFile(fileName: string, text: string, type = 'application/json'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.rel = 'noopener';
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  // The download has started from the link; give the browser a moment before revoking the URL.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
