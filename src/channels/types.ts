/** What a channel gets to send one notification to one recipient. */
export interface DeliveryJob {
  deliveryId: string;
  channel: ChannelName;
  /** Where to: an e-mail address, a webhook URL, or "log". */
  target: string;
  /** 1 for the first attempt. */
  attempt: number;
  notification: {
    id: string;
    type: string;
    title: string;
    text: string;
    html: string;
    createdAt: string;
    data: Record<string, unknown>;
  };
  user: { id: string; webhookSecret: string | null };
}

export type ChannelName = "log" | "email" | "webhook";

export interface Channel {
  /** Resolves once the recipient has it; rejects with the reason otherwise. */
  send(job: DeliveryJob): Promise<void>;
  close?(): Promise<void>;
}
