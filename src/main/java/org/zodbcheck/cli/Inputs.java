package org.zodbcheck.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.LoggerFactory;
import org.zodbcheck.check.Database;
import org.zodbcheck.config.ConfigException;
import org.zodbcheck.config.DatabaseConfig;
import org.zodbcheck.config.StorageConfig;
import picocli.CommandLine;

/**
 * Turns the command line's files into databases: a Data.fs given by path, or the databases of
 * one or more configuration files.
 */
final class Inputs {
    private Inputs() {
    }

    /**
     * @throws ConfigException for a configuration that cannot be used (exit 2)
     * @throws CommandLine.ParameterException for a combination of arguments that makes no sense
     */
    static List<Database> databases(List<Path> inputs, Map<String, Path> overrides, String dbName, Path blobDir,
                                    CommandLine cl) throws ConfigException {
        // an empty argument (an unset shell variable) would be the current directory
        if (inputs.stream().anyMatch(p -> p.toString().isEmpty())) {
            throw new CommandLine.ParameterException(cl, "an empty FILE argument");
        }
        if (blobDir != null && blobDir.toString().isEmpty()) {
            throw new CommandLine.ParameterException(cl, "--blob-dir: an empty path");
        }
        for (Map.Entry<String, Path> o : overrides.entrySet()) {
            if (o.getValue().toString().isEmpty()) {
                throw new CommandLine.ParameterException(cl, "-f " + o.getKey() + "=: an empty path");
            }
        }
        List<Path> storages = inputs.stream().filter(Inputs::isStorageFile).toList();
        if (!storages.isEmpty()) {
            if (inputs.size() > 1) {
                throw new CommandLine.ParameterException(cl, "give one Data.fs, or configuration files: "
                        + storages.get(0) + " is a Data.fs and " + inputs.size() + " files were given");
            }
            if (!overrides.isEmpty()) {
                throw new CommandLine.ParameterException(cl, "-f NAME=PATH applies to configuration files, not to a"
                        + " Data.fs given by path");
            }
            return List.of(new Database(dbName, storages.get(0), blobDir, true, false));
        }
        if (blobDir != null) {
            throw new CommandLine.ParameterException(cl, "--blob-dir applies to a Data.fs given by path; a"
                    + " configuration names its blob-dir");
        }
        if (cl.getParseResult() != null && cl.getParseResult().hasMatchedOption("--db-name")) {
            throw new CommandLine.ParameterException(cl, "--db-name applies to a Data.fs given by path; a"
                    + " configuration names its databases");
        }
        StorageConfig.Result config = StorageConfig.read(inputs, overrides);
        for (String notice : config.notices()) {
            LoggerFactory.getLogger(Inputs.class).warn(notice);
        }
        List<Database> dbs = new ArrayList<>();
        for (DatabaseConfig c : config.databases()) {
            dbs.add(new Database(c.name(), c.path(), c.blobDir(), c.implicitCrossReferences(), c.blobDirRequired()));
        }
        return dbs;
    }

    /**
     * A FileStorage (or something that is not a text file, or is missing: opening it as a
     * storage then says what is wrong). A configuration is text; a Data.fs starts with FS21 or
     * FS30 and holds binary data.
     */
    static boolean isStorageFile(Path p) {
        if (!Files.isRegularFile(p)) {
            return true;
        }
        byte[] head = new byte[4096];
        int n;
        try (InputStream in = Files.newInputStream(p)) {
            n = in.readNBytes(head, 0, head.length);
        } catch (IOException e) {
            return true;
        }
        if (n < 4 || (head[0] == 'F' && head[1] == 'S')) {
            return true; // FS21, FS30, or a storage with a damaged magic
        }
        return !isText(head, n) || !looksLikeConfig(head, n);
    }

    /** ZConfig text has sections, directives or comments; a few bytes of a damaged storage do not. */
    private static boolean looksLikeConfig(byte[] b, int n) {
        for (int i = 0; i < n; i++) {
            if (b[i] == '<' || b[i] == '%' || b[i] == '#') {
                return true;
            }
        }
        return false;
    }

    /**
     * Configuration files are text: UTF-8 without control characters other than tab, line feed,
     * carriage return and form feed. Anything else (a storage whose magic is damaged, say) is
     * opened as a storage, which then says what is wrong with its header (found by the mutation
     * suite: such files were read as configurations, exit 2).
     */
    private static boolean isText(byte[] b, int n) {
        for (int i = 0; i < n; i++) {
            int c = b[i] & 0xff;
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' || c == 0x7f) {
                return false;
            }
        }
        // not at the end of input: a UTF-8 sequence cut by the 4 KB window is not an error
        java.nio.CharBuffer chars = java.nio.CharBuffer.allocate(n);
        return !java.nio.charset.StandardCharsets.UTF_8.newDecoder()
                .decode(java.nio.ByteBuffer.wrap(b, 0, n), chars, false).isError();
    }
}
