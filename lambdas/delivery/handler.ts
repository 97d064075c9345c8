import { createDeliveryHandler } from "./create-delivery-handler.js";

/** Fed by one destination's queue (subscribed to the paging topic): delivers each page to that destination. */
export const handler = createDeliveryHandler(process.env);
