package org.zodbcheck.cli;

import picocli.CommandLine;

/** The version from the jar manifest ({@code Implementation-Version}). */
public final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        String v = Main.class.getPackage().getImplementationVersion();
        return new String[] {"zodbcheck " + (v != null ? v : "(development build)")};
    }
}
