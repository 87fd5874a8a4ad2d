package org.zodbcheck.check;

/** Where findings go, in the order the check emits them. */
@FunctionalInterface
public interface FindingSink {
    void accept(Finding finding);
}
