/**
 * Adapters from grpc-js's callback and stream call styles to promises, async
 * iterables and observables, each call with its own deadline.
 */
import {
  Metadata,
  type CallOptions,
  type ClientReadableStream,
  type ClientUnaryCall,
  type ServiceError,
} from '@grpc/grpc-js';
import { Observable } from 'rxjs';

/** The full-argument overload every generated unary client method has. */
type UnaryMethod<Request, Reply> = (
  request: Request,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, reply: Reply) => void,
) => ClientUnaryCall;

/** Runs a unary call; rejects with the grpc-js ServiceError (its `code` says why). */
export function unaryCall<Request, Reply>(
  method: UnaryMethod<Request, Reply>,
  request: Request,
  deadline: Date,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    method(request, new Metadata(), { deadline }, (error, reply) => (error ? reject(error) : resolve(reply)));
  });
}

/** The replies of a server stream; leaving the loop early cancels the call. */
export async function* streamReplies<Reply>(call: ClientReadableStream<Reply>): AsyncGenerator<Reply> {
  try {
    for await (const reply of call) yield reply as Reply;
  } finally {
    call.cancel();
  }
}

/**
 * A server stream as a cold observable: subscribing opens the call, each reply
 * becomes zero or more items, unsubscribing cancels it. A `toItems` error (a
 * failure status in a reply) ends the stream with that error.
 *
 * While `paused$` is true the call is paused: grpc-js then stops reading
 * replies, and the router is held back by HTTP/2 flow control instead of the
 * replies piling up in this process. The items of the reply being delivered
 * when the pause comes still go out, so a consumer sees at most one reply's
 * worth of items after asking to pause.
 */
export function observeStream<Reply, Item>(
  open: () => ClientReadableStream<Reply>,
  toItems: (reply: Reply) => Item[],
  paused$?: Observable<boolean>,
): Observable<Item> {
  return new Observable<Item>((subscriber) => {
    const call = open();
    call.on('data', (reply: Reply) => {
      try {
        for (const item of toItems(reply)) subscriber.next(item);
      } catch (err) {
        subscriber.error(err);
        call.cancel();
      }
    });
    call.on('error', (err) => subscriber.error(err));
    call.on('end', () => subscriber.complete());
    const flow = paused$?.subscribe((paused) => (paused ? call.pause() : call.resume()));
    return () => {
      flow?.unsubscribe();
      call.cancel();
    };
  });
}
