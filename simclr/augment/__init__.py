"""SimCLR's random views (paper Sec. 3, appendix A).

- views.py: AugmentConfig, PRESETS, draw_params / apply_params, two_views, output_size
- pixel_ops.py: the pixel maths of each op, batched (crop + flip + resize, jitter, grayscale, blur)
- gallery.py: what the Augmentations page shows, computable from a script (view_gallery)
"""
