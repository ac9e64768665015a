import ArgumentParser
@main struct Cairn: ParsableCommand {}
