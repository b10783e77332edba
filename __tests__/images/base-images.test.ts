import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { baseImages } from "../../images/base-images.ts";
import { repoRoot } from "./dockerfile.ts";

describe("baseImages", () => {
  it("lists the images the repository's Dockerfile builds on, and none of its own stages", () => {
    expect(baseImages(readFileSync(join(repoRoot, "Dockerfile"), "utf8"))).toEqual([
      "node:24-slim",
      "gcr.io/distroless/nodejs24-debian12:nonroot",
    ]);
  });

  it("skips platform flags, later references to earlier stages and scratch", () => {
    const pinned = `alpine:3.22@sha256:${"a".repeat(64)}`;
    const dockerfile = [
      "# syntax=docker/dockerfile:1",
      "FROM --platform=$BUILDPLATFORM golang:1.24 AS build",
      "FROM scratch AS empty",
      "from build as test",
      `FROM ${pinned}`,
      "FROM Build",
    ].join("\n");
    expect(baseImages(dockerfile)).toEqual(["golang:1.24", pinned]);
  });
});
