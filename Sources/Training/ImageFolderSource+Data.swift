import Data

extension ImageFolderSource {
    /// The `ImageFolder` settings (size and grayscale must be known, as after `RunConfig.parse`).
    public var imageFolderConfig: ImageFolder.Config {
        guard let size, let grayscale else {
            preconditionFailure("ImageFolderSource.imageFolderConfig: '\(path)' has no size or grayscale yet (RunConfig.parse fills them in)")
        }
        return ImageFolder.Config(height: size.h, width: size.w, color: grayscale ? .gray : .rgb,
                                  normalization: normalize.map { Normalization(mean: $0.mean.map(Float.init), std: $0.std.map(Float.init)) },
                                  onBadImage: onBadImage == .skip ? .skip : .error,
                                  alpha: alpha == .drop ? .drop : .rejectTranslucent,
                                  verify: verify == .none ? .none : verify == .header ? .header : .decode,
                                  extensions: extensions)
    }

    /// The augmentations for the loader, in order (a crop's size must be known, as after `RunConfig.parse`).
    public var augmentations: [Augmentation] {
        augment.map {
            switch $0 {
            case let .randomCrop(s, p):
                guard let s = s ?? size.flatMap({ $0.h == $0.w ? $0.h : nil }) else {
                    preconditionFailure("ImageFolderSource.augmentations: random_crop of '\(path)' has no size")
                }
                return .randomCrop(size: s, padding: p)
            case let .hflip(p): return .horizontalFlip(probability: Float(p))
            }
        }
    }
}

extension CSVSource {
    /// The label column for `CSVDataset`.
    public var csvLabelColumn: CSVDataset.LabelColumn {
        switch labelColumn {
        case .first: return .first
        case .last: return .last
        case let .index(i): return .index(i)
        case let .name(n): return .name(n)
        }
    }

    /// The delimiter for `CSVDataset`.
    public var delimiterCharacter: Character { delimiter.first ?? "," }
}
