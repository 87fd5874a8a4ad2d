package org.zodbcheck.check;

import java.nio.file.Path;

/**
 * A database to check: its name (what cross-database references call it) and its storage file.
 */
public record Database(String name, Path path) {
}
