"""The app's pages, one file each, or a folder where a page has helpers of its own (ui/navigation.py names them).

- augmentations.py: two random views per image, each op alone
- loss/: the similarity matrix and NT-Xent (page.py; charts.py, encoder_picker.py)
- train/: start, follow and compare runs (page.py; form.py, charts.py)
- embeddings/: a run's images before and after training (page.py; maps, neighbours, report, export, replay)
- lecture.py: the classroom's steps
"""
