package io.boottorrent.tftp.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NetasciiTest {

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  /**
   * Encodes {@code input} into blocks of {@code blksize} as a TFTP sender does (every block full but
   * the last, which may be empty), feeding the input in pieces of {@code piece} bytes.
   */
  private static byte[][] encodeInBlocks(byte[] input, int blksize, int piece) {
    Netascii.Encoder encoder = new Netascii.Encoder();
    List<byte[]> blocks = new ArrayList<>();
    ByteBuffer out = ByteBuffer.allocate(blksize);
    for (int pos = 0; pos < input.length; pos += piece) {
      ByteBuffer in = ByteBuffer.wrap(input, pos, Math.min(piece, input.length - pos));
      while (in.hasRemaining()) {
        encoder.encode(in, out);
        if (!out.hasRemaining()) {
          blocks.add(out.array());
          out = ByteBuffer.allocate(blksize);
        }
      }
    }
    while (true) { // the pending half of a last expansion
      encoder.encode(ByteBuffer.allocate(0), out);
      if (out.hasRemaining()) {
        break;
      }
      blocks.add(out.array());
      out = ByteBuffer.allocate(blksize);
    }
    blocks.add(Arrays.copyOf(out.array(), out.position()));
    return blocks.toArray(new byte[0][]);
  }

  private static byte[] concat(byte[][] blocks) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] b : blocks) {
      out.writeBytes(b);
    }
    return out.toByteArray();
  }

  @Test
  void encodesLineFeedsAsCrLfAndBareCrAsCrNul() {
    // GIVEN a Unix text with a bare CR WHEN encoded (RFC 764) THEN LF -> CR LF, CR -> CR NUL
    byte[] encoded = concat(encodeInBlocks(ascii("a\nb\rc\r\n"), 512, 100));
    assertThat(encoded).isEqualTo(ascii("a\r\nb\r\0c\r\0\r\n"));
    assertThat(Netascii.encodedLength(ascii("a\nb\rc\r\n"), 0, 7)).isEqualTo(encoded.length);
  }

  @Test
  void anExpansionStraddlingABlockBoundaryIsSplitAcrossTwoBlocks() {
    // GIVEN blocks of 4 bytes and an LF as the 4th input byte
    byte[][] blocks = encodeInBlocks(ascii("abc\ndef"), 4, 100);
    // THEN block 1 ends with CR, block 2 starts with the LF, and the final block is short
    assertThat(blocks[0]).isEqualTo(ascii("abc\r"));
    assertThat(blocks[1]).isEqualTo(ascii("\ndef"));
    assertThat(blocks[2]).isEmpty();
  }

  @Test
  void aBareCrAtTheBlockBoundaryKeepsItsNulInTheNextBlock() {
    byte[][] blocks = encodeInBlocks(ascii("xyz\r!"), 4, 1);
    assertThat(blocks[0]).isEqualTo(ascii("xyz\r"));
    assertThat(blocks[1]).isEqualTo(ascii("\0!"));
  }

  @ParameterizedTest
  @ValueSource(ints = {8, 9, 512, 513})
  void encodeThenDecodeRestoresAnyInputWhateverTheBlockAndChunkBoundaries(int blksize) {
    // GIVEN random bytes dense in CR and LF
    Random random = new Random(blksize);
    byte[] input = new byte[5000];
    for (int i = 0; i < input.length; i++) {
      int r = random.nextInt(6);
      input[i] = r == 0 ? (byte) '\r' : r == 1 ? (byte) '\n' : r == 2 ? 0 : (byte) random.nextInt(256);
    }
    // WHEN encoded into blocks fed in odd-sized pieces, then decoded block by block
    byte[][] blocks = encodeInBlocks(input, blksize, 37);
    Netascii.Decoder decoder = new Netascii.Decoder();
    ByteArrayOutputStream decoded = new ByteArrayOutputStream();
    for (byte[] block : blocks) {
      decoded.writeBytes(decoder.decode(block));
    }
    decoded.writeBytes(decoder.finish());
    // THEN every block but the last is full, the length matches encodedLength, and the input comes back
    for (int i = 0; i < blocks.length - 1; i++) {
      assertThat(blocks[i]).hasSize(blksize);
    }
    assertThat(blocks[blocks.length - 1].length).isLessThan(blksize);
    assertThat((long) concat(blocks).length).isEqualTo(Netascii.encodedLength(input, 0, input.length));
    assertThat(decoded.toByteArray()).isEqualTo(input);
  }

  @Test
  void decoderResolvesACrAtTheEndOfOneChunkWithTheNextChunk() {
    Netascii.Decoder decoder = new Netascii.Decoder();
    assertThat(decoder.decode(ascii("line\r"))).isEqualTo(ascii("line"));
    assertThat(decoder.decode(ascii("\nnext\r"))).isEqualTo(ascii("\nnext"));
    assertThat(decoder.decode(ascii("\0end"))).isEqualTo(ascii("\rend"));
    assertThat(decoder.finish()).isEmpty();
  }

  @Test
  void decoderKeepsABareCrFollowedByOtherBytesAndADanglingCr() {
    Netascii.Decoder decoder = new Netascii.Decoder();
    assertThat(decoder.decode(ascii("a\rb\r"))).isEqualTo(ascii("a\rb"));
    assertThat(decoder.finish()).isEqualTo(ascii("\r"));
  }
}
