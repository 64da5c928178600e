import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { roomPicture } from '../web/src/room/room-picture.ts';

describe('roomPicture (web)', () => {
  it("adds a signed room's playback token to the server's tokenless picture URL, and nothing otherwise", () => {
    assert.equal(roomPicture('/v1/rooms/p1/poster.jpg?v=a1', null), '/v1/rooms/p1/poster.jpg?v=a1');
    assert.equal(
      roomPicture('/v1/rooms/p1/poster.jpg?v=a1', 'x.y+z'),
      '/v1/rooms/p1/poster.jpg?v=a1&token=x.y%2Bz',
    );
    assert.equal(
      roomPicture('/v1/rooms/p1/products/q/image.jpg', 't'),
      '/v1/rooms/p1/products/q/image.jpg?token=t',
    );
  });
});
