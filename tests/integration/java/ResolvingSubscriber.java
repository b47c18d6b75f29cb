// A subscriber built on an older release's schemas: for each message (Avro single-object
// encoding) it decodes with the stock BinaryMessageDecoder, whose SchemaStore fetches a writer
// schema it does not know from the hub (GET /schemas/{fingerprint}), and writes the record again
// with the schema it was built on (or, for an event type it was built without, the writer's).
//
//   java ResolvingSubscriber BASE_URL READER_DIR MESSAGES OUT
//
// READER_DIR holds the release's schemas, one self-contained <full name>.avsc each. MESSAGES has
// one line per message: the writer's full name, its aliases (comma-separated, or -) and the
// message in base64. OUT gets, per line, "OK <full name of the reader> <base64> <how>" or
// "ERROR ..."; <how> is "built" (read as the schema it was built on) or "writer" (read as written:
// an event type newer than the build, or one whose release knowingly stopped older readers, e.g.
// a field renamed, which Avro resolves only through the reader's aliases). The last line is
// "FETCHED <n>".
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import org.apache.avro.AvroTypeException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.SchemaStore;

public final class ResolvingSubscriber {

  /** Writer schemas fetched from the hub by fingerprint, each checked against it. */
  static final class HubSchemaStore implements SchemaStore {
    private final HttpClient http = HttpClient.newHttpClient();
    private final String base;
    private final Map<Long, Schema> known = new HashMap<>();
    int fetched;

    HubSchemaStore(String base) {
      this.base = base;
    }

    @Override
    public Schema findByFingerprint(long fingerprint) {
      return known.computeIfAbsent(fingerprint, this::fetch);
    }

    private Schema fetch(long fingerprint) {
      byte[] bytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(fingerprint).array();
      String hex = HexFormat.of().formatHex(bytes);
      HttpRequest request = HttpRequest.newBuilder(URI.create(base + "/schemas/" + hex)).build();
      try {
        HttpResponse<String> answer = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (answer.statusCode() != 200) {
          return null;
        }
        Schema schema = new Schema.Parser().parse(answer.body());
        if (SchemaNormalization.parsingFingerprint64(schema) != fingerprint) {
          throw new IllegalStateException("the hub answered " + hex + " with another schema");
        }
        fetched++;
        return schema;
      } catch (IOException | InterruptedException e) {
        throw new IllegalStateException("could not fetch schema " + hex, e);
      }
    }
  }

  public static void main(String[] args) throws Exception {
    HubSchemaStore store = new HubSchemaStore(args[0]);
    Map<String, Schema> built = new HashMap<>();
    try (var files = Files.list(Path.of(args[1]))) {
      for (Path file : (Iterable<Path>) files::iterator) {
        Schema schema = new Schema.Parser().parse(file.toFile());
        built.put(schema.getFullName(), schema);
      }
    }
    List<String> out = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of(args[2]))) {
      String[] parts = line.split(" ");
      try {
        out.add(read(store, built, parts[0], parts[1], Base64.getDecoder().decode(parts[2])));
      } catch (Exception e) {
        out.add("ERROR " + parts[0] + " " + e);
      }
    }
    out.add("FETCHED " + store.fetched);
    Files.write(Path.of(args[3]), out);
  }

  /** The schema this subscriber was built with for the event: by its name, or a former name. */
  static Schema readerFor(Map<String, Schema> built, String name, String aliases) {
    if (built.containsKey(name)) {
      return built.get(name);
    }
    for (String alias : aliases.split(",")) {
      if (built.containsKey(alias)) {
        return built.get(alias);
      }
    }
    return null;
  }

  static String read(HubSchemaStore store, Map<String, Schema> built, String name, String aliases,
      byte[] message) throws IOException {
    Schema reader = readerFor(built, name, aliases);
    if (reader != null) {
      try {
        return answer(store, reader, message, "built");
      } catch (AvroTypeException e) {
        System.err.println(name + ": not readable as " + reader.getFullName() + " (" + e.getMessage() + ")");
      }
    }
    long fingerprint = ByteBuffer.wrap(message, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    return answer(store, store.findByFingerprint(fingerprint), message, "writer");
  }

  static String answer(HubSchemaStore store, Schema reader, byte[] message, String how)
      throws IOException {
    BinaryMessageDecoder<GenericRecord> decoder =
        new BinaryMessageDecoder<>(GenericData.get(), reader, store);
    GenericRecord record = decoder.decode(message);
    ByteBuffer again = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), reader).encode(record);
    byte[] bytes = new byte[again.remaining()];
    again.get(bytes);
    return "OK " + reader.getFullName() + " " + Base64.getEncoder().encodeToString(bytes) + " " + how;
  }
}
