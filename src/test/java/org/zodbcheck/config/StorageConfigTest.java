package org.zodbcheck.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ZConfig subset and the configurations operators have (FORMAT.md §5). */
class StorageConfigTest {
    @TempDir
    Path dir;

    private Path conf(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text);
    }

    private StorageConfig.Result read(String text) throws Exception {
        return StorageConfig.read(List.of(conf("zodb.conf", text)), Map.of());
    }

    private ConfigException error(String text) throws IOException {
        Path f = conf("bad.conf", text);
        return assertThrows(ConfigException.class, () -> StorageConfig.read(List.of(f), Map.of()));
    }

    @Test
    void multiDatabaseWithDefines() throws Exception {
        StorageConfig.Result r = read("""
                %define CASEDIR /srv/data
                # a comment
                <zodb main>
                  <filestorage 1>
                    path $CASEDIR/main/Data.fs
                    blob-dir ${CASEDIR}/blobs
                  </filestorage>
                </zodb>
                <zodb catalog>
                  allow-implicit-cross-references false
                  <filestorage>
                    path $casedir/catalog/Data.fs
                  </filestorage>
                </zodb>
                """);
        assertEquals(2, r.databases().size());
        DatabaseConfig main = r.databases().get(0);
        assertEquals("main", main.name());
        assertEquals(Path.of("/srv/data/main/Data.fs"), main.path());
        assertEquals(Path.of("/srv/data/blobs"), main.blobDir());
        assertTrue(main.implicitCrossReferences());
        DatabaseConfig catalog = r.databases().get(1);
        assertEquals("catalog", catalog.name());
        assertEquals(Path.of("/srv/data/catalog/Data.fs"), catalog.path());
        assertNull(catalog.blobDir());
        assertFalse(catalog.implicitCrossReferences());
        assertEquals(List.of(), r.notices());
    }

    @Test
    void namesAreLowerCasedUnlessDatabaseName() throws Exception {
        StorageConfig.Result r = read("""
                <zodb MyDB>
                  <filestorage>
                    path a.fs
                  </filestorage>
                </zodb>
                <zodb>
                  <filestorage>
                    path b.fs
                  </filestorage>
                </zodb>
                <zodb x>
                  database-name CamelName
                  <filestorage>
                    path c.fs
                  </filestorage>
                </zodb>
                """);
        assertEquals(List.of("mydb", "", "CamelName"), r.databases().stream().map(DatabaseConfig::name).toList());
        assertEquals(Path.of("a.fs"), r.databases().get(0).path(), "relative paths stay relative to the current directory");
    }

    /** A byte order mark before the first section (as Windows editors save UTF-8) is not text of the file. */
    @Test
    void byteOrderMarkBeforeTheFirstLine() throws Exception {
        StorageConfig.Result r = read("\ufeff<zodb main>\n  <filestorage>\n    path a.fs\n  </filestorage>\n</zodb>\n");
        assertEquals(List.of("main"), r.databases().stream().map(DatabaseConfig::name).toList());
        assertEquals(Path.of("a.fs"), r.databases().get(0).path());
        assertEquals(List.of(), r.notices());
    }

    /** Zope's zope.conf: zodb_db sections, the blobstorage wrapper, a temporary storage. */
    @Test
    void zopeConf() throws Exception {
        StorageConfig.Result r = read("""
                %define INSTANCE /srv/plone/parts/instance
                instancehome $INSTANCE
                <eventlog>
                  level INFO
                </eventlog>
                <zodb_db main>
                    cache-size 30000
                    <blobstorage>
                      blob-dir /srv/plone/var/blobstorage
                      <filestorage>
                        path /srv/plone/var/filestorage/Data.fs
                      </filestorage>
                    </blobstorage>
                    mount-point /
                </zodb_db>
                <zodb_db temporary>
                    <temporarystorage>
                      name temporary storage for sessioning
                    </temporarystorage>
                    mount-point /temp_folder
                    container-class Products.TemporaryFolder.TemporaryContainer
                </zodb_db>
                """);
        assertEquals(1, r.databases().size());
        DatabaseConfig main = r.databases().get(0);
        assertEquals("main", main.name());
        assertEquals(Path.of("/srv/plone/var/filestorage/Data.fs"), main.path());
        assertEquals(Path.of("/srv/plone/var/blobstorage"), main.blobDir());
        assertTrue(r.notices().stream().anyMatch(n -> n.contains("<eventlog>")), r.notices().toString());
        assertTrue(r.notices().stream().anyMatch(n -> n.contains("temporary") && n.contains("nothing to check")),
                r.notices().toString());
    }

    @Test
    void zeoConfWithATopLevelFilestorage() throws Exception {
        StorageConfig.Result r = read("""
                <zeo>
                  address 8100
                </zeo>
                <filestorage 1>
                  path var/Data.fs
                  blob-dir var/blobs
                </filestorage>
                """);
        assertEquals(1, r.databases().size());
        assertEquals("main", r.databases().get(0).name());
        assertEquals(Path.of("var/blobs"), r.databases().get(0).blobDir());
    }

    @Test
    void zlibStorage() throws Exception {
        StorageConfig.Result r = read("""
                %import zc.zlibstorage
                <zodb>
                  <zlibstorage>
                    compress true
                    <filestorage>
                      path Data.fs
                    </filestorage>
                  </zlibstorage>
                </zodb>
                """);
        assertTrue(r.databases().get(0).zlib());
        assertEquals(Path.of("Data.fs"), r.databases().get(0).path());
    }

    @Test
    void includeIsRelativeToTheIncludingFile() throws Exception {
        Files.createDirectories(dir.resolve("etc"));
        conf("etc/storage.conf", "<filestorage>\n  path $DIR/Data.fs\n</filestorage>\n");
        Path main = conf("etc/zodb.conf", "%define DIR /x\n<zodb main>\n%include storage.conf\n</zodb>\n");
        StorageConfig.Result r = StorageConfig.read(List.of(main), Map.of());
        assertEquals(Path.of("/x/Data.fs"), r.databases().get(0).path());
    }

    @Test
    void zeoClientNeedsAnOverride() throws Exception {
        String client = """
                <zodb main>
                  <zeoclient>
                    server localhost:8100
                    storage 1
                  </zeoclient>
                </zodb>
                """;
        ConfigException e = error(client);
        assertEquals(2, e.line());
        assertTrue(e.getMessage().contains("<zeoclient>") && e.getMessage().contains("-f NAME=PATH"), e.getMessage());
        Path f = conf("client.conf", client);
        StorageConfig.Result r = StorageConfig.read(List.of(f), Map.of("main", Path.of("/srv/var/Data.fs")));
        assertEquals(Path.of("/srv/var/Data.fs"), r.databases().get(0).path());
    }

    @Test
    void overrideOfAnUnknownDatabase() throws Exception {
        Path f = conf("zodb.conf", "<zodb main>\n<filestorage>\npath a.fs\n</filestorage>\n</zodb>\n");
        ConfigException e = assertThrows(ConfigException.class,
                () -> StorageConfig.read(List.of(f), Map.of("catalog", Path.of("c.fs"))));
        assertTrue(e.getMessage().contains("no database named 'catalog'"), e.getMessage());
    }

    @Test
    void unknownKeysAreNoticed() throws Exception {
        StorageConfig.Result r = read("<zodb main>\n  colour blue\n  <filestorage>\n    path a.fs\n"
                + "    pack-gc false\n    frobnicate 1\n  </filestorage>\n</zodb>\n");
        assertEquals(2, r.notices().size(), r.notices().toString());
        assertTrue(r.notices().get(0).endsWith("zodb.conf:2: unknown key 'colour' in <zodb main> ignored"), r.notices().get(0));
        assertTrue(r.notices().get(1).endsWith("zodb.conf:6: unknown key 'frobnicate' in <filestorage> ignored"));
    }

    @Test
    void malformedConfigurations() throws Exception {
        assertError("<zodb main>\n  <filestorage>\n    path a.fs\n  </filestorage>\n", 1, "section <zodb> is not closed");
        assertError("<zodb main>\n  <foostorage>\n  </foostorage>\n</zodb>\n", 2, "<foostorage> is not a file");
        assertError("<zodb main>\n  <filestorage>\n  </filestorage>\n</zodb>\n", 2, "needs a 'path'");
        assertError("<zodb main>\n  <filestorage>\n    path\n  </filestorage>\n</zodb>\n", 3,
                "'path' in <filestorage> has no value");
        assertError("<zodb main>\n  <filestorage>\n    path a.fs\n    blob-dir\n  </filestorage>\n</zodb>\n", 4,
                "'blob-dir' in <filestorage> has no value");
        assertError("<zodb main>\n  <blobstorage>\n    blob-dir  \n    <filestorage>\n      path a.fs\n"
                + "    </filestorage>\n  </blobstorage>\n</zodb>\n", 3, "'blob-dir' in <blobstorage> has no value");
        assertError("<zodb main>\n  <filestorage>\n    path $NOPE/a.fs\n  </filestorage>\n</zodb>\n", 3,
                "'NOPE' is not defined");
        assertError("<zodb main>\n  allow-implicit-cross-references maybe\n  <filestorage>\n    path a\n"
                + "  </filestorage>\n</zodb>\n", 2, "must be true or false");
        assertError("<zodb main>\n</filestorage>\n", 2, "</filestorage> closes <zodb>");
        assertError("</zodb>\n", 1, "without an open section");
        assertError("<zodb main\n", 1, "malformed section header");
        assertError("%define A 1\n%define A 2\n", 2, "cannot redefine");
        assertError("%frob x\n", 1, "unknown directive");
        assertError("<zodb main>\n</zodb>\n", 1, "needs exactly one storage section");
        assertError("<zodb a>\n<filestorage>\npath x\n</filestorage>\n</zodb>\n"
                + "<zodb a>\n<filestorage>\npath y\n</filestorage>\n</zodb>\n", 6, "'a' is used twice");
        assertError("%include missing.conf\n", 1, "not found");
        assertError("# nothing here\n", 0, "no database found");
    }

    private void assertError(String text, int line, String fragment) throws IOException {
        ConfigException e = error(text);
        assertEquals(line, e.line(), e.describe());
        assertTrue(e.getMessage().contains(fragment), e.describe());
        assertTrue(e.describe().startsWith(dir.resolve("bad.conf") + (line > 0 ? ":" + line + ": " : ": ")), e.describe());
    }

    /** An %include that cannot be read names the including file, its line and the reason. */
    @Test
    void unreadableInclude() throws Exception {
        Path locked = conf("locked.conf", "<filestorage>\n  path a.fs\n</filestorage>\n");
        Path dirInclude = Files.createDirectory(dir.resolve("conf.d"));
        assertError("<zodb main>\n%include conf.d\n</zodb>\n", 2, "cannot read " + dirInclude + ": Is a directory");
        Files.setPosixFilePermissions(locked, java.util.Set.of());
        org.junit.jupiter.api.Assumptions.assumeFalse(Files.isReadable(locked), "permissions do not apply (root)");
        assertError("<zodb main>\n%include locked.conf\n</zodb>\n", 2, "cannot read " + locked + ": permission denied");
    }

    @Test
    void includeLoopsAreRefused() throws Exception {
        Path a = conf("a.conf", "%include b.conf\n");
        conf("b.conf", "%include a.conf\n");
        ConfigException e = assertThrows(ConfigException.class, () -> StorageConfig.read(List.of(a), Map.of()));
        assertTrue(e.getMessage().contains("loops"), e.describe());
    }

    @Test
    void environmentAndDollarSubstitution() throws Exception {
        Path f = conf("env.conf", "<zodb main>\n  <filestorage>\n    path $(HOME)/var/$$x.fs\n"
                + "  </filestorage>\n</zodb>\n");
        Section root = ZConfigParser.parse(f, Map.of("HOME", "/home/zope"));
        assertEquals("/home/zope/var/$x.fs", root.children().get(0).children().get(0).get("path"));
        ConfigException e = assertThrows(ConfigException.class, () -> ZConfigParser.parse(f, Map.of()));
        assertEquals(3, e.line());
        assertTrue(e.getMessage().contains("'HOME' is not set"), e.getMessage());
        Path g = conf("dollar.conf", "key a$\n");
        assertThrows(ConfigException.class, () -> ZConfigParser.parse(g, Map.of()));
    }
}
