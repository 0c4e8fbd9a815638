// Errors a user can cause or meet (a bad file, a refused quota, a kernel that
// does not boot), kept as a list the page shows until dismissed.

export interface UserError {
  id: number;
  at: Date;
  /** What the dashboard was doing. */
  context: string;
  message: string;
}

export class ErrorLog {
  items = $state<UserError[]>([]);
  private next = 1;

  report(context: string, e: unknown): void {
    const message = e instanceof Error ? e.message : String(e);
    console.error(`${context}: ${message}`);
    this.items.push({ id: this.next++, at: new Date(), context, message });
  }

  dismiss(id: number): void {
    this.items = this.items.filter((e) => e.id !== id);
  }
}
