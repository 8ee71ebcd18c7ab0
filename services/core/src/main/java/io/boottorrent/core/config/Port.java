package io.boottorrent.core.config;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** An int key of a config record that is a TCP/UDP port, 0..65535 (0: any free port) ({@link ConfigRecords}). */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.RECORD_COMPONENT)
public @interface Port {
}
